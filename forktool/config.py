"""Where things are: the repository layout and the pinned upstream release."""

from __future__ import annotations

import os
import tomllib  # forktool/__init__.py has refused Pythons without it
from dataclasses import dataclass
from pathlib import Path

from forktool.errors import ForkError

# Top-level folders of the repository that are laid over the upstream tree.
OVERLAY_DIRS = ("django", "tests", "docs")


@dataclass(frozen=True)
class Upstream:
    name: str
    version: str
    sdist: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.name}=={self.version}"


@dataclass(frozen=True)
class Repo:
    """A checkout of the fork: upstream.toml, patches/ and the overlay."""

    root: Path

    @property
    def patches_dir(self) -> Path:
        return self.root / "patches"

    @property
    def series_file(self) -> Path:
        return self.patches_dir / "series"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    def upstream(self) -> Upstream:
        return self._releases()[0]

    def later_releases(self) -> list[Upstream]:
        """upstream.toml's [[later]] releases: judged against, never applied."""
        return self._releases()[1:]

    def _releases(self) -> list[Upstream]:
        path = self.root / "upstream.toml"
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            return [
                Upstream(
                    name=str(entry["name"]),
                    version=str(entry["version"]),
                    sdist=str(entry["sdist"]),
                    sha256=str(entry["sha256"]).lower(),
                )
                for entry in [data["upstream"], *data.get("later", [])]
            ]
        except FileNotFoundError:
            raise ForkError(f"{path} is missing") from None
        except (KeyError, TypeError, tomllib.TOMLDecodeError) as exc:
            raise ForkError(f"{path} is not a valid upstream description: {exc}")


def find_repo(start: Path | None = None) -> Repo:
    """Return the repository that holds ``start`` (default: this package)."""
    here = (start or Path(__file__).resolve().parent).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "upstream.toml").is_file():
            return Repo(candidate)
    raise ForkError(f"no upstream.toml found in {here} or its parents")


def cache_dir() -> Path:
    """The download cache, outside any checkout so every clone shares it."""
    env = os.environ.get("FORKTOOL_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache"
    )
    return Path(base) / "forktool"
