"""Build the patched documentation to HTML with a pinned Sphinx.

These machines cannot reach the intersphinx inventories, and every warning of
the pristine offline build comes from that. Offline builds therefore switch
intersphinx off and render the references only it resolves as plain text (in
the build copy only, see sphinx_offline.py), then fail on any warning at all.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

from forktool.config import Repo
from forktool.errors import ForkError
from forktool.progress import step
from forktool.tree import rebuild

INVENTORY_HOST = ("docs.python.org", 443)
OFFLINE_CONF = """
# Added by forktool for an offline build: no intersphinx inventories, and
# the references only they resolve are rendered as plain text.
intersphinx_mapping = {}
extensions.append("forktool_offline")
"""


def online(timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection(INVENTORY_HOST, timeout=timeout):
            return True
    except OSError:
        return False


def build_docs(
    repo: Repo, *, builder: str = "html", offline: bool | None = None
) -> Path:
    venv = repo.build_dir / "venv-docs"
    python = venv / "bin" / "python"
    requirements = repo.root / "requirements" / "docs.txt"
    marker = venv / ".forktool-requirements"
    wanted = requirements.read_text(encoding="utf-8")
    if not python.exists() or not marker.exists() or marker.read_text() != wanted:
        step("Installing the pinned Sphinx into build/venv-docs")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        proc = subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check",
             "-q", "-r", str(requirements)],
        )  # fmt: skip
        if proc.returncode != 0:
            raise ForkError("could not install the docs requirements")
        marker.write_text(wanted)
    tree = repo.build_dir / "docs-tree"
    step("Building the patched tree in build/docs-tree")
    rebuild(repo, tree)
    if offline is None:
        offline = not online()
    if offline:
        step("Offline: intersphinx is off for this build")
        here = Path(__file__).resolve().parent
        ext = tree / "docs" / "_ext"
        shutil.copyfile(here / "sphinx_offline.py", ext / "forktool_offline.py")
        # Not .txt: that is the docs' source suffix.
        shutil.copyfile(here / "sphinx_offline.txt", ext / "forktool_offline.refs")
        with open(tree / "docs" / "conf.py", "a", encoding="utf-8") as conf:
            conf.write(OFFLINE_CONF)
    out = repo.build_dir / "docs" / builder
    doctrees = repo.build_dir / "docs" / "doctrees"
    cmd = [str(python), "-m", "sphinx", "-b", builder, "-j", "auto"]
    if offline:
        # Offline the pristine base builds without a warning, so any is ours.
        cmd += ["-W", "--keep-going"]
    cmd += ["-d", str(doctrees), str(tree / "docs"), str(out)]
    step(f"Running sphinx-build -b {builder} (output: {out.relative_to(repo.root)})")
    proc = subprocess.run(cmd, cwd=tree / "docs")
    if proc.returncode != 0:
        raise ForkError("the docs build failed or warned; see the messages above")
    step(f"Docs written to {out / 'index.html'}")
    return out
