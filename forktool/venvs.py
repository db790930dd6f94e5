"""The virtual environments forktool and the benchmarks build, and reuse.

One builder for every venv under build/: the test venvs (``forktool test``),
the docs venv and the benchmarks' venvs (``python3 -m benchmarks``). A marker
file in the venv records what went in: the digest of each requirements file,
and a stamp for anything else installed (the patched tree, the repository),
so a later call installs only what changed and a venv nobody touched is
reused as it is.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from forktool.errors import ForkError

MARKER = ".forktool-installed.json"
# Upgraded in a new venv before anything else: old pips resolve pins badly,
# and building the tree needs setuptools and wheel.
TOOLS = ("pip", "setuptools", "wheel")


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def quiet(message: str) -> None:
    """The default reporter: say nothing."""


@dataclass(frozen=True)
class Venv:
    """A venv at path, and what its marker says it holds."""

    path: Path
    say: Callable[[str], None] = quiet

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    @property
    def marker(self) -> Path:
        return self.path / MARKER

    def state(self) -> dict[str, Any]:
        """What was installed, as recorded; empty for a missing or broken venv."""
        if not (self.python.exists() and self.marker.exists()):
            return {}
        try:
            state = json.loads(self.marker.read_text(encoding="utf-8"))
        except ValueError:
            return {}
        return state if isinstance(state, dict) else {}

    def record(self, key: str, name: str | None, value: str) -> None:
        """Write value to the marker, under key (or key[name])."""
        state = self.state()
        if name is None:
            state[key] = value
        else:
            state.setdefault(key, {})[name] = value
        self.marker.write_text(json.dumps(state, indent=1, sort_keys=True))

    def missing(self, requirements: Sequence[Path]) -> list[Path]:
        """The requirements files not installed in their current content."""
        done = self.state().get("requirements", {})
        return [r for r in requirements if done.get(r.name) != file_digest(r)]

    def current(
        self, requirements: Sequence[Path], stamps: Mapping[str, str] = {}
    ) -> bool:
        """Whether the venv holds these requirements and stamps already."""
        state = self.state()
        if not state or self.missing(requirements):
            return False
        return all(state.get(key) == value for key, value in stamps.items())

    def create(self, python: str, fresh: bool = False) -> None:
        """Make the venv with python unless it exists (always, if fresh)."""
        if fresh and self.path.exists():
            import shutil

            shutil.rmtree(self.path)
        if self.python.exists():
            return
        self.say(f"Creating {self.path.name} with {python}")
        proc = subprocess.run(
            [python, "-m", "venv", str(self.path)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-4000:])
            raise ForkError(f"could not create {self.path} with {python}")
        self.pip("install", "--upgrade", *TOOLS)

    def pip(self, *args: str, hint: str = "") -> None:
        """Run pip in the venv; on failure print its output's end and raise."""
        pip(self.python, *args, hint=hint)

    def install_requirements(
        self, requirements: Sequence[Path], hint: str = ""
    ) -> list[Path]:
        """Install the requirements files that changed; return them."""
        todo = self.missing(requirements)
        for req in todo:
            self.say(f"Installing {req.name} into {self.path.name}")
            self.pip("install", "-r", str(req), hint=hint)
            self.record("requirements", req.name, file_digest(req))
        return todo

    def install_stamped(
        self, key: str, stamp: str, *args: str, what: str = "", hint: str = ""
    ) -> bool:
        """pip install args unless the marker has stamp under key; True if run."""
        if self.state().get(key) == stamp:
            return False
        self.say(f"Installing {what or key} into {self.path.name}")
        self.pip("install", *args, hint=hint)
        self.record(key, None, stamp)
        return True


def pip(python: Path, *args: str, hint: str = "") -> None:
    cmd = [str(python), "-m", "pip", "--disable-pip-version-check", *args]
    proc = subprocess.run(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:])
        message = f"pip {' '.join(args[:2])} failed in {python.parent.parent}"
        raise ForkError(f"{message}\n{hint}" if hint else message)
