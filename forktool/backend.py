"""PEP 517 backend: build the patched Django with setuptools from a fresh tree.

The repository holds only patches and the overlay, so each build first writes
the patched source tree into a temporary folder, then runs setuptools' own
backend there, in a child process so that nothing of this repository (whose
overlay folder is also called ``django``) is importable during the build.

Each step is said in one line on stderr, which pip shows with ``-v``;
setuptools' own output (a line per file copied, some 60,000) is kept back and
shown only if setuptools fails.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from forktool.config import find_repo
from forktool.errors import ForkError
from forktool.progress import step
from forktool.tree import build

_ROOT = Path(__file__).resolve().parent.parent


def _setuptools(hook: str, tree: Path, *args: object) -> str:
    # setuptools logs to stdout; keep stdout for the one JSON line we read.
    code = (
        "import json, sys\n"
        "out, sys.stdout = sys.stdout, sys.stderr\n"
        "from setuptools import build_meta\n"
        f"result = build_meta.{hook}(*json.loads(sys.argv[1]))\n"
        "out.write(json.dumps(result))\n"
    )
    with tempfile.TemporaryFile(mode="w+") as log:
        proc = subprocess.run(
            [sys.executable, "-c", code, json.dumps(args)],
            cwd=tree,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        if proc.returncode != 0:
            log.seek(0)
            sys.stderr.write(log.read())
            raise ForkError(f"setuptools {hook} failed in the patched tree")
    return json.loads(proc.stdout)


def _with_tree(hook: str, directory: str, config_settings=None) -> str:
    started = time.monotonic()
    repo = find_repo(_ROOT)
    what = "wheel" if hook == "build_wheel" else "sdist"
    step(f"asyncorm: building the patched Django, then its {what}")
    with tempfile.TemporaryDirectory(prefix="forktool-build-") as tmp:
        tree = build(repo, Path(tmp) / "tree")
        step(f"asyncorm: setuptools is building the {what} from the patched tree")
        target = str(Path(directory).resolve())
        name = _setuptools(hook, tree, target, config_settings)
    step(f"asyncorm: built {name} in {time.monotonic() - started:.0f} s")
    return name


def get_requires_for_build_wheel(config_settings=None):
    # pip is needed to download the pinned sdist when it is not cached yet.
    return ["setuptools>=40.8.0", "wheel", "pip"]


get_requires_for_build_sdist = get_requires_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _with_tree("build_wheel", wheel_directory, config_settings)


def build_sdist(sdist_directory, config_settings=None):
    """An sdist of the patched tree, buildable with plain setuptools."""
    return _with_tree("build_sdist", sdist_directory, config_settings)
