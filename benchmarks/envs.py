"""The venvs the contenders run in, built on first use and reused after.

``fork`` and ``fork-psycopg``: the patched Django, installed with ``pip
install <repo>`` (the in-tree build backend writes the patched tree), and
requirements/bench.txt. The fork's PostgreSQL backend uses psycopg 3 when it
is installed and psycopg2 otherwise, so each of the two holds one driver:
``fork`` psycopg2 (requirements/postgresql.txt), ``fork-psycopg`` psycopg 3
(requirements/postgresql-psycopg.txt), the pool the raw-driver contender
uses (requirements/bench-pool.txt), what native execution needs
(requirements/postgresql-native.txt: greenlet and the pool) and the whole-app
scenario's server (requirements/bench-app.txt: uvicorn). ``upstream``:
upstream Django's latest release from requirements/bench-upstream.txt, on a
Python it supports. ``dab``: django-async-backend on the Django release it is
generated from (requirements/bench-dab.txt, Python 3.12+). ``sqlalchemy``:
SQLAlchemy 2's asyncio ORM with psycopg 3 and asyncpg
(requirements/bench-sqlalchemy.txt), no Django.

forktool's venv builder (forktool/venvs.py) makes them: its marker records
each requirements file's digest and, for the fork, the fingerprint of the
patches and overlay, so a changed patch, overlay or requirements file
installs what changed and nothing else does.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from forktool.config import find_repo
from forktool.testing import fingerprint
from forktool.venvs import Venv

# The marker key of the fork's installed tree (the patches' fingerprint).
FORK_STAMP = "fork"


@dataclass(frozen=True)
class Environment:
    name: str
    venv: Path
    requirements: tuple[Path, ...]
    minimum_python: tuple[int, int]
    install_repo: bool  # pip install the repository itself (the fork)

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def environments(root: Path) -> dict[str, Environment]:
    req = root / "requirements"
    build = root / "build"
    return {
        "fork": Environment(
            "fork",
            build / "bench-venv-fork",
            (req / "bench.txt", req / "postgresql.txt"),
            (3, 8),
            install_repo=True,
        ),
        "fork-psycopg": Environment(
            "fork-psycopg",
            build / "bench-venv-fork-psycopg",
            (
                req / "bench.txt",
                req / "postgresql-psycopg.txt",
                req / "bench-pool.txt",
                req / "postgresql-native.txt",
                req / "bench-app.txt",
            ),
            (3, 8),
            install_repo=True,
        ),
        "upstream": Environment(
            "upstream",
            build / "bench-venv-upstream",
            (req / "bench-upstream.txt",),
            (3, 12),
            install_repo=False,
        ),
        "dab": Environment(
            "dab",
            build / "bench-venv-dab",
            (req / "bench-dab.txt",),
            (3, 12),
            install_repo=False,
        ),
        "sqlalchemy": Environment(
            "sqlalchemy",
            build / "bench-venv-sqlalchemy",
            (req / "bench-sqlalchemy.txt",),
            (3, 11),
            install_repo=False,
        ),
    }


def pinned(paths: Iterable[Path]) -> dict[str, str]:
    """The packages the requirements files pin, normalized name to version.

    Follows ``-r`` includes; any other line that is not ``name==version``
    (a comment, an option) is skipped.
    """
    pins: dict[str, str] = {}
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("-r "):
                pins.update(pinned([path.parent / line[3:].strip()]))
            elif "==" in line and not line.startswith("-"):
                name, version = line.split("==", 1)
                pins[normalize(name)] = version.strip()
    return pins


def normalize(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def stamps(env: Environment, root: Path) -> dict[str, str]:
    """What the venv must hold besides its requirements: the fork's tree."""
    if not env.install_repo:
        return {}
    return {FORK_STAMP: fingerprint(find_repo(root))}


def is_built(env: Environment, root: Path) -> bool:
    return Venv(env.venv).current(env.requirements, stamps(env, root))


def python_version(python: str) -> tuple[int, int] | None:
    """The interpreter's (major, minor), or None when it does not run."""
    try:
        proc = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except OSError:
        return None
    if proc.returncode != 0:
        return None
    major, minor = proc.stdout.split()
    return int(major), int(minor)


def choose_python(
    found: Iterable[tuple[str, tuple[int, int] | None]], minimum: tuple[int, int]
) -> str | None:
    """The oldest interpreter that is at least minimum (closest to the fork's)."""
    usable = [
        (version, path) for path, version in found if version and version >= minimum
    ]
    return min(usable)[1] if usable else None


def candidates(minimum: tuple[int, int]) -> list[str]:
    names = [sys.executable]
    for minor in range(minimum[1], minimum[1] + 4):
        path = shutil.which(f"python{minimum[0]}.{minor}")
        if path:
            names.append(path)
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    names += sorted(glob.glob(os.path.join(pyenv, "versions", "3.*", "bin", "python3")))
    return names


def find_python(env: Environment, given: str | None) -> str | None:
    if given:
        return given
    found = [(path, python_version(path)) for path in candidates(env.minimum_python)]
    return choose_python(found, env.minimum_python)


def build(env: Environment, root: Path, python: str) -> None:
    """Make the venv, or bring it up to date, with what it must hold.

    A venv that its marker does not say was made with python (another
    interpreter, or a build that failed before it said) is made again.
    """
    venv = Venv(env.venv, say=lambda message: print(f"bench: {message}", flush=True))
    venv.create(python, fresh=venv.state().get("python") != python)
    venv.record("python", None, python)
    venv.install_requirements(env.requirements)
    for key, stamp in stamps(env, root).items():
        # The in-tree build backend writes the patched tree; --no-deps: the
        # requirements files pinned Django's dependencies already.
        venv.install_stamped(
            key,
            stamp,
            "--no-deps",
            "--force-reinstall",
            str(root),
            what="the patched Django",
        )
