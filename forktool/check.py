"""The fork's contract, checked: a clean series, no collisions, nothing vendored.

Also that every patch opens with a DEP-3 header in the fork's grammar
(forktool.dep3) and changes no upstream line only to reformat it
(forktool.formatting).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

from forktool import dep3, fetch, formatting, patching, renumber, security
from forktool.config import Repo
from forktool.errors import ForkError
from forktool.progress import step
from forktool.tree import populate

# Patches known to hold formatting-only changes, being rebuilt: their changes
# are printed as notes instead of failing the check. An entry whose patch no
# longer has any fails the check, so the list only ever shrinks to empty.
FORMATTING_PENDING: frozenset[str] = frozenset()
# A run of this many consecutive non-blank lines that also stands in an upstream
# file counts as copied text.
RUN_LINES = 10
# Runs with fewer letters and digits than this are boilerplate (brackets,
# blank docstrings), not text anyone could copy.
RUN_MIN_CHARS = 120
# Whole-file copies shorter than this many non-blank lines are too small to say.
MIN_COPY_LINES = 4
SKIPPED_REPO_PARTS = {".git", "build", ".tox", "__pycache__", ".pytest_cache", "dist"}
# The file that makes a folder a virtual environment (PEP 405).
VENV_MARKER = "pyvenv.cfg"
VENV_SUFFIX = "/" + VENV_MARKER
TEXT_SUFFIXES = {
    ".py", ".txt", ".rst", ".html", ".js", ".css", ".cfg", ".toml", ".ini",
    ".json", ".po", ".xml", ".sh", ".md", ".in", ".yml", ".yaml", ".patch", "",
}  # fmt: skip


def _norm(line: str) -> str:
    return " ".join(line.split())


def _significant(text: str) -> list[str]:
    return [n for n in (_norm(line) for line in text.split("\n")) if n]


def _windows(lines: list[str]):
    for i in range(len(lines) - RUN_LINES + 1):
        window = lines[i : i + RUN_LINES]
        if sum(ch.isalnum() for line in window for ch in line) < RUN_MIN_CHARS:
            continue
        yield i, hashlib.blake2b("\n".join(window).encode(), digest_size=12).digest()


class UpstreamIndex:
    """Whole-file and line-run fingerprints of every text file of the sdist."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.paths = set(files)
        self.whole: dict[bytes, str] = {}
        self.runs: dict[bytes, str] = {}
        for path, data in files.items():
            if Path(path).suffix not in TEXT_SUFFIXES:
                continue
            try:
                lines = _significant(data.decode("utf-8"))
            except UnicodeDecodeError:
                continue
            if len(lines) >= MIN_COPY_LINES:
                key = hashlib.blake2b("\n".join(lines).encode()).digest()
                self.whole.setdefault(key, path)
            for _, digest in _windows(lines):
                self.runs.setdefault(digest, path)

    def copied_file(self, text: str) -> str | None:
        lines = _significant(text)
        if len(lines) < MIN_COPY_LINES:
            return None
        return self.whole.get(hashlib.blake2b("\n".join(lines).encode()).digest())

    def copied_run(self, lines: list[str]) -> tuple[int, str] | None:
        significant = [n for n in (_norm(line) for line in lines) if n]
        for index, digest in _windows(significant):
            if digest in self.runs:
                return index, self.runs[digest]
        return None


def repo_files(repo: Repo) -> list[Path]:
    """The files of the checkout that ``check`` judges.

    Those git tracks, and the untracked ones git does not ignore: a new overlay
    file goes into the built tree before it is committed. Untracked virtual
    environments (a folder with a pyvenv.cfg, whatever its name) are skipped
    even when .gitignore does not list them: they hold other projects' files.
    """
    try:
        tracked = _git_names(repo.root, "--cached")
        untracked = _git_names(repo.root, "--others", "--exclude-standard")
    except (OSError, subprocess.CalledProcessError):
        return _walk_files(repo.root)
    venvs = tuple(
        name[: -len(VENV_MARKER)] for name in untracked if name.endswith(VENV_SUFFIX)
    )
    names = tracked | {n for n in untracked if not n.startswith(venvs)}
    return [repo.root / n for n in sorted(names) if (repo.root / n).is_file()]


def _git_names(root: Path, *args: str) -> set[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z", *args], cwd=root, capture_output=True, check=True
    ).stdout
    return {name for name in out.decode().split("\0") if name}


def _walk_files(root: Path) -> list[Path]:
    """Without git: every file but build products and virtual environments."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = [
            d
            for d in dirnames
            if d not in SKIPPED_REPO_PARTS and not (here / d / VENV_MARKER).is_file()
        ]
        found += [here / name for name in filenames]
    return sorted(found)


def check_headers(patch: patching.Patch) -> list[str]:
    """The header follows the fork's DEP-3 grammar (see forktool.dep3)."""
    problems = dep3.check(patch.name, patch.header)
    if not patch.files:
        problems.append(f"{patch.name}: contains no diff")
    return problems


def check_formatting(
    upstream: dict[str, bytes],
    patches: list[patching.Patch],
    pending: frozenset[str] = frozenset(),
) -> tuple[list[str], list[str]]:
    """Find the changes that only reformat upstream code (forktool.formatting).

    The patches are applied in memory, in order, so each is judged against
    the file as it finds it. Return (problems, notes): the changes of the
    ``pending`` patches are notes; a pending patch without any is a problem.
    """
    files: dict[str, str | None] = {}
    problems: list[str] = []
    notes: list[str] = []
    for patch in patches:
        found = []
        for fp in patch.files:
            if fp.old_path is None:
                old = None
            elif fp.old_path in files:
                old = files[fp.old_path]
            else:
                try:
                    old = upstream[fp.old_path].decode("utf-8")
                except (KeyError, UnicodeDecodeError):
                    old = None
            found += [
                formatting.describe(patch.name, fp.path, run)
                for run in formatting.formatting_only(fp.path, old, fp)
            ]
            try:
                files[fp.path] = patching.apply_to_text(patch, fp, old)
            except ForkError:
                files[fp.path] = None  # the series check reports it
        if patch.name in pending:
            notes += found
            if not found:
                problems.append(
                    f"{patch.name} no longer changes formatting only anywhere: "
                    "drop it from FORMATTING_PENDING in forktool/check.py"
                )
        else:
            problems += found
    return problems, notes


def check_series(repo: Repo) -> list[str]:
    problems = []
    names = patching.read_series(repo.series_file)
    seen = set()
    for name in names:
        if name in seen:
            problems.append(f"patches/series lists {name} more than once")
        seen.add(name)
        if not (repo.patches_dir / name).is_file():
            problems.append(f"patches/series lists {name}, which does not exist")
    for path in sorted(repo.patches_dir.rglob("*.patch")):
        name = path.relative_to(repo.patches_dir).as_posix()
        if name not in seen:
            problems.append(f"{name} is not listed in patches/series")
    if not problems:
        problems += check_series_order(names)
    return problems


def check_series_order(names: list[str]) -> list[str]:
    """The series reads as a table of contents: grouped by section, in
    renumber.SECTIONS order, numbered in applied order within each section.
    `forktool renumber` puts it right."""
    try:
        plan = renumber.make_plan(names)
    except ForkError as exc:
        return [f"patches/series: {exc}"]
    problems = [
        f"patches/series: {name} is out of its section's place" for name in plan.moved()
    ]
    problems += [
        f"patches/series: {old} is numbered out of applied order " f"(would be {new})"
        for old, new in plan.renames.items()
    ]
    if problems:
        problems.append(
            "patches/series: run `python -m forktool renumber` to see the plan"
        )
    return problems


def check_vendoring(repo: Repo, index: UpstreamIndex) -> list[str]:
    problems = []
    for path in repo_files(repo):
        rel = path.relative_to(repo.root).as_posix()
        if path.suffix not in TEXT_SUFFIXES:
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            continue
        if rel.startswith("patches/") and rel.endswith(".patch"):
            patch = patching.parse(rel, text)
            for fp in patch.files:
                for hunk in fp.hunks:
                    hit = index.copied_run(hunk.added())
                    if hit:
                        problems.append(
                            f"{rel}: {fp.path} {hunk.header.strip()} adds "
                            f"{RUN_LINES}+ lines that stand verbatim in upstream "
                            f"{hit[1]}"
                        )
            continue
        source = index.copied_file(text)
        if source:
            problems.append(f"{rel} is a copy of upstream {source}")
            continue
        hit = index.copied_run(text.split("\n"))
        if hit:
            problems.append(
                f"{rel}: {RUN_LINES}+ lines from significant line {hit[0] + 1} stand "
                f"verbatim in upstream {hit[1]}"
            )
    return problems


def _read_optional(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def check_later(repo: Repo, *, quiet: bool = True) -> list[str]:
    """The vendoring check against upstream.toml's later releases.

    The fork backports their features; their text is as off-limits as the
    base's. Slower than the rest (seven sdists), so `check --later` asks.
    """
    say = (lambda message: None) if quiet else step
    problems = []
    for release in repo.later_releases():
        sdist = fetch.fetch(release)
        say(f"Comparing the repository's files with {sdist.name}")
        index = UpstreamIndex(fetch.read_members(sdist))
        problems += [
            f"{problem} (Django {release.version})"
            for problem in check_vendoring(repo, index)
        ]
    return problems


def run_checks(repo: Repo, *, quiet: bool = True) -> list[str]:
    """Return every problem found (an empty list means the fork is sound).

    Unless ``quiet``, say on stderr what each step checks: the whole run
    takes a minute or more on a busy machine.
    """
    say = (lambda message: None) if quiet else step
    problems = check_series(repo)
    if problems:
        return problems
    patches = [
        patching.load(repo.patches_dir, name)
        for name in patching.read_series(repo.series_file)
    ]
    say(f"Series and DEP-3 headers: {len(patches)} patches")
    for patch in patches:
        problems += check_headers(patch)
    say("Applying the series to a fresh tree, then adding the overlay")
    with tempfile.TemporaryDirectory(prefix="forktool-check-") as tmp:
        try:
            created = populate(repo, Path(tmp), quiet=quiet)
        except ForkError as exc:
            return problems + [str(exc)]
        say("Checking the security table against the series' CVE fields")
        problems += security.check_security_table(
            _read_optional(Path(tmp) / "docs" / "releases" / "security.txt"),
            {patch.name: patch.header for patch in patches},
        )
    for name, paths in created.items():
        for path in paths:
            problems.append(
                f"{name}: creates {path}; new files belong in the overlay folders"
            )
    sdist = fetch.fetch(repo.upstream())
    upstream = fetch.read_members(sdist)
    say("Looking for formatting-only changes in the patches")
    found, notes = check_formatting(upstream, patches, FORMATTING_PENDING)
    problems += found
    for note in notes:
        step(f"check: pending in FORMATTING_PENDING: {note}")
    say(f"Indexing the text of {sdist.name} for copied lines")
    index = UpstreamIndex(upstream)
    say("Comparing the repository's files with upstream's")
    problems += check_vendoring(repo, index)
    return problems
