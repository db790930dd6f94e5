"""Build the patched documentation to HTML with a pinned Sphinx.

These machines cannot reach the intersphinx inventories, and every warning of
the pristine offline build comes from that. Offline builds therefore switch
intersphinx off and render the references only it resolves as plain text (in
the build copy only, see sphinx_offline.py), then fail on any warning at all.

The default builder is Django's own ``djangohtml``: Sphinx's plain ``html``
builder drops the label ("New in Django 4.1", "New in asyncorm.2 (backported
from Django 4.2)") of every versionadded/versionchanged block, and those
labels are how a reader of the fork learns which release has a feature. After
a djangohtml build every such block is checked for its label.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from forktool.config import Repo
from forktool.errors import ForkError
from forktool.progress import step
from forktool.tree import rebuild
from forktool.venvs import Venv

DEFAULT_BUILDER = "djangohtml"
# Builders that render the versionadded/versionchanged labels (with Django's
# translator, docs/_ext/djangodocs.py), so their pages are checked for them.
LABELLED_BUILDERS = ("djangohtml",)
VERSION_BLOCKS = ("versionadded", "versionchanged")
# "New in Django 4.1", "Changed in Django Development version", "New in
# asyncorm.3", "New in asyncorm.2 (backported from Django 4.2)", then ":" or
# "." (the block has content or not).
VERSION_LABEL = re.compile(
    r"(New|Changed) in (Django (\d[\w.]*|Development version)"
    r"|asyncorm\.\d+( \(backported from Django \d[\w.]*\))?)[:.]"
)
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


class _VersionBlocks(HTMLParser):
    """Collect the version blocks of one page and the label each opens with."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str, str | None]] = []  # line, kind, label
        self._open: tuple[int, str] | None = None  # a block awaiting its label
        self._label: list[str] | None = None  # text of the label being read
        self._depth = 0  # elements open inside the label

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self._label is not None:
            self._depth += 1
            return
        if self._open is not None:
            if tag == "span" and "title" in classes:
                self._label = []
                return
            self._close(None)
        if tag == "div":
            kinds = [c for c in classes if c in VERSION_BLOCKS]
            if kinds:
                self._open = (self.getpos()[0], kinds[0])

    def handle_endtag(self, tag: str) -> None:
        if self._label is not None:
            if self._depth:
                self._depth -= 1
                return
            self._close(" ".join("".join(self._label).split()))
        elif self._open is not None:
            self._close(None)

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self._label.append(data)
        elif self._open is not None and data.strip():
            self._close(None)

    def close(self) -> None:
        super().close()
        if self._open is not None:
            self._close(None if self._label is None else "".join(self._label))

    def _close(self, label: str | None) -> None:
        assert self._open is not None
        self.blocks.append((*self._open, label))
        self._open = None
        self._label = None
        self._depth = 0


def check_version_labels(out: Path) -> tuple[int, list[str]]:
    """Count the version blocks in the pages under ``out``; list those unlabelled.

    A block is labelled when the first thing in it is a ``<span class="title">``
    whose text reads like "New in Django 4.1:" (see VERSION_LABEL).
    """
    count = 0
    problems = []
    for page in sorted(out.rglob("*.html")):
        parser = _VersionBlocks()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        parser.close()
        rel = page.relative_to(out).as_posix()
        for line, kind, label in parser.blocks:
            count += 1
            if label is None:
                problems.append(f"{rel}:{line}: {kind} block without its label")
            elif not VERSION_LABEL.fullmatch(label):
                problems.append(f"{rel}:{line}: {kind} block labelled {label!r}")
    return count, problems


def build_docs(
    repo: Repo, *, builder: str = DEFAULT_BUILDER, offline: bool | None = None
) -> Path:
    venv = Venv(repo.build_dir / "venv-docs", say=step)
    requirements = repo.root / "requirements" / "docs.txt"
    if not venv.current([requirements]):
        step("Installing the pinned Sphinx into build/venv-docs")
        venv.create(sys.executable)
        venv.install_requirements([requirements])
    python = venv.python
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
    if builder in LABELLED_BUILDERS:
        require_version_labels(out)
    else:
        step(
            f"The {builder} builder does not render the versionadded/versionchanged "
            f"labels; {DEFAULT_BUILDER} (the default) does"
        )
    step(f"Docs written to {out / 'index.html'}")
    return out


def require_version_labels(out: Path) -> int:
    """Fail unless every version block of the built pages has its label."""
    count, problems = check_version_labels(out)
    for problem in problems[:20]:
        print(f"docs: {problem}", file=sys.stderr)
    if len(problems) > 20:
        print(f"docs: ... and {len(problems) - 20} more", file=sys.stderr)
    if problems:
        raise ForkError(
            f"{len(problems)} of {count} versionadded/versionchanged blocks in "
            f"{out} have no proper label; see the messages above"
        )
    if not count:
        raise ForkError(
            f"no versionadded/versionchanged block found in {out}; the fork's "
            "docs have them, so the pages were not built as expected"
        )
    step(f"Version labels: all {count} versionadded/versionchanged blocks have one")
    return count
