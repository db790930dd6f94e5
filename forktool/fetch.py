"""Download the pinned upstream sdist with pip, cache it and check its hash."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from forktool.config import Upstream, cache_dir
from forktool.errors import ForkError
from forktool.progress import step

# Files of the sdist that setuptools generates; a source tree does not have them.
GENERATED = ("PKG-INFO",)
GENERATED_DIRS = (".egg-info",)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, upstream: Upstream, *, cached: bool = True) -> None:
    """Refuse ``path`` unless it has the pinned hash.

    ``cached`` says whether ``path`` is the cache's copy (which the message
    tells the user to delete) or a fresh download that is never cached.
    """
    actual = sha256_of(path)
    if actual == upstream.sha256:
        return
    what = (
        f"the cached {path}"
        if cached
        else f"the {upstream.sdist} that pip just downloaded"
    )
    advice = (
        f"delete {path} and try again"
        if cached
        else "nothing was cached, so the next run downloads it again"
    )
    raise ForkError(
        f"sha256 mismatch: {what} has {actual}, upstream.toml pins "
        f"{upstream.sha256}; {advice}, or fix upstream.toml if the pin is wrong"
    )


def download(upstream: Upstream, dest_dir: Path) -> Path:
    """Fetch the sdist with pip into ``dest_dir`` and return its path."""
    step(f"Downloading {upstream.requirement} (sdist) with pip")
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps",
        "--no-binary", ":all:", "--retries", "2", "--timeout", "20",
        # Never installed: a later release that needs a newer Python is
        # still downloaded, for `check --later`.
        "--ignore-requires-python",
        "--disable-pip-version-check", "-d", str(dest_dir), upstream.requirement,
    ]  # fmt: skip
    proc = subprocess.run(cmd, stderr=subprocess.PIPE, text=True)
    errors = [
        line.strip()
        for line in proc.stderr.splitlines()
        if line.startswith("ERROR") or "Error" in line
    ]
    if proc.returncode != 0:
        reason = errors[-1] if errors else f"pip exited with {proc.returncode}"
        raise ForkError(
            f"could not download {upstream.requirement} with pip (is the network "
            f"or the package index reachable?): {reason}"
        )
    path = dest_dir / upstream.sdist
    if not path.is_file():
        found = ", ".join(sorted(p.name for p in dest_dir.iterdir())) or "nothing"
        raise ForkError(f"pip did not save {upstream.sdist} (it saved {found})")
    return path


def fetch(upstream: Upstream, cache: Path | None = None) -> Path:
    """Return the verified sdist from the cache, downloading it first if needed."""
    cache = cache or cache_dir()
    cached = cache / upstream.sdist
    if not cached.exists():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
            path = download(upstream, Path(tmp))
            # Check before the file enters the cache, so a bad download
            # never poisons later runs.
            verify(path, upstream, cached=False)
            os.replace(path, cached)
    verify(cached, upstream)
    return cached


def _skip(relative: str) -> bool:
    first = relative.split("/", 1)[0]
    return relative in GENERATED or first.endswith(GENERATED_DIRS)


def extract(sdist: Path, dest: Path) -> None:
    """Unpack the sdist's top-level folder into ``dest`` (which must exist)."""
    try:
        with tarfile.open(sdist, "r:gz") as tar:
            members = []
            for member in tar.getmembers():
                parts = member.name.split("/", 1)
                if len(parts) < 2 or not parts[1] or _skip(parts[1]):
                    continue
                if member.issym() or member.islnk() or ".." in parts[1].split("/"):
                    raise ForkError(f"{sdist.name}: unsafe member {member.name}")
                member.name = parts[1]
                members.append(member)
            kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            tar.extractall(dest, members=members, **kwargs)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ForkError(f"{sdist.name}: corrupt archive ({exc})") from None


def read_members(sdist: Path) -> dict[str, bytes]:
    """Map each file of the sdist (relative to its top folder) to its bytes."""
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(sdist, "r:gz") as tar:
            for member in tar:
                parts = member.name.split("/", 1)
                if not member.isfile() or len(parts) < 2 or _skip(parts[1]):
                    continue
                fh = tar.extractfile(member)
                if fh is not None:
                    files[parts[1]] = fh.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ForkError(f"{sdist.name}: corrupt archive ({exc})") from None
    return files


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
