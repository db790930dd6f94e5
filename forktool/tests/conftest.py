"""A tiny fake upstream and fork repository, so the tool is tested offline."""

from __future__ import annotations

import hashlib
import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from forktool.config import Repo

CORE = "".join(
    f"def function_number_{i}(argument):\n    return argument * {i} + {i * 7}\n\n"
    for i in range(12)
)
UPSTREAM_FILES = {
    "django/__init__.py": 'VERSION = (1, 0)\n\n\ndef setup():\n    return "ready"\n',
    "django/core.py": CORE,
    "docs/index.txt": "Welcome\n=======\n\nThe fake docs.\n",
    "tests/runtests.py": "print('fake runner')\n",
    "PKG-INFO": "Metadata-Version: 2.1\nName: Fake\n",
    "Fake.egg-info/PKG-INFO": "Metadata-Version: 2.1\nName: Fake\n",
}


def make_sdist(path: Path, files: dict[str, str]) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in sorted(files.items()):
            data = text.encode()
            info = tarfile.TarInfo(f"Fake-1.0/{name}")
            info.size = len(data)
            info.mtime = 0
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def write_upstream(root: Path, sha256: str) -> None:
    (root / "upstream.toml").write_text(
        "[upstream]\n"
        'name = "Fake"\nversion = "1.0"\nsdist = "Fake-1.0.tar.gz"\n'
        f'sha256 = "{sha256}"\n'
    )


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "cache"
    path.mkdir()
    monkeypatch.setenv("FORKTOOL_CACHE", str(path))
    return path


@pytest.fixture
def repo(tmp_path, cache) -> Repo:
    """A fork of the fake upstream with one patch and one overlay file."""
    sha = make_sdist(cache / "Fake-1.0.tar.gz", UPSTREAM_FILES)
    root = tmp_path / "fork"
    (root / "patches" / "core").mkdir(parents=True)
    write_upstream(root, sha)
    (root / "patches" / "series").write_text("# The series.\ncore/0001-ready.patch\n")
    (root / "patches" / "core" / "0001-ready.patch").write_text(
        "Description: Say more than ready\n"
        " Because a test needs a patch.\n"
        "Author: test\n"
        "Forwarded: not-needed\n"
        "Last-Update: 2026-12-05\n"
        "\n"
        "diff --git a/django/__init__.py b/django/__init__.py\n"
        "--- a/django/__init__.py\n"
        "+++ b/django/__init__.py\n"
        "@@ -3,3 +3,3 @@ VERSION = (1, 0)\n"
        " \n"
        " def setup():\n"
        '-    return "ready"\n'
        '+    return "ready and patched"\n'
    )
    (root / "django" / "extra").mkdir(parents=True)
    (root / "django" / "extra" / "__init__.py").write_text('"""Ours."""\n')
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return Repo(root)
