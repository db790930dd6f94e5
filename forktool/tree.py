"""Materialize the patched source tree: upstream sdist + patch series + overlay."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from forktool import fetch, patching
from forktool.config import OVERLAY_DIRS, Repo
from forktool.errors import ForkError
from forktool.progress import Bar, step

IGNORED_PARTS = {"__pycache__", ".DS_Store"}
IGNORED_SUFFIXES = (".pyc", ".pyo", ".orig", ".rej", "~")


def overlay_files(repo: Repo) -> list[str]:
    """Paths (relative, with '/') of the files the overlay adds to the tree."""
    found = []
    for top in OVERLAY_DIRS:
        base = repo.root / top
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_PARTS)
            for filename in sorted(filenames):
                if filename in IGNORED_PARTS or filename.endswith(IGNORED_SUFFIXES):
                    continue
                path = Path(dirpath, filename).relative_to(repo.root)
                found.append(path.as_posix())
    return found


def load_series(repo: Repo) -> list[patching.Patch]:
    return [
        patching.load(repo.patches_dir, name)
        for name in patching.read_series(repo.series_file)
    ]


def populate(repo: Repo, dest: Path, *, quiet: bool = False) -> dict[str, list[str]]:
    """Write the patched tree into the empty folder ``dest``.

    Return the paths each patch created (keyed by patch name), which ``check``
    reports, since new files belong in the overlay.
    """
    upstream = repo.upstream()
    sdist = fetch.fetch(upstream)
    if not quiet:
        step(f"Unpacking {sdist.name}")
    fetch.extract(sdist, dest)
    patches = load_series(repo)
    created: dict[str, list[str]] = {}
    bar = None if quiet else Bar("Applying patches", len(patches))
    for patch in patches:
        created[patch.name] = patching.apply(patch, dest)
        if bar:
            bar.advance(patch.name)
    if bar:
        bar.close()
    files = overlay_files(repo)
    for rel in files:
        target = dest / rel
        if target.exists():
            raise ForkError(
                f"overlay file {rel} collides with a file of the patched upstream "
                "tree; change upstream files with a patch"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(repo.root / rel, target)
    if not quiet:
        step(f"  Overlay: {len(files)} files added")
    return created


def build(repo: Repo, dest: Path, *, quiet: bool = False) -> Path:
    """Build the tree at ``dest`` atomically: on failure nothing is left there."""
    dest = dest.resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ForkError(f"{dest} exists and is not an empty folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        populate(repo, tmp, quiet=quiet)
        if dest.exists():
            dest.rmdir()
        os.replace(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def rebuild(repo: Repo, dest: Path, *, quiet: bool = False) -> Path:
    """Like build(), but replace an existing tree (for build/ folders we own)."""
    if dest.exists():
        old = dest.with_name(f".{dest.name}-old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(dest, old)
        try:
            return build(repo, dest, quiet=quiet)
        finally:
            shutil.rmtree(old, ignore_errors=True)
    return build(repo, dest, quiet=quiet)
