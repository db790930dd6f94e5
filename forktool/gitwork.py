"""The daily round trip: patches -> git work tree (edit) -> patches (export).

``edit DIR`` makes a git repository whose first commit is pristine upstream,
followed by one commit per patch (subject: the patch's name, body: its DEP-3
header) and a last commit that adds the overlay. ``export DIR`` turns the
commits back into ``patches/`` and the overlay. Diffs are produced with fixed
options, so the same commits always give the same bytes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from forktool import fetch, patching
from forktool.config import OVERLAY_DIRS, Repo
from forktool.errors import ForkError
from forktool.progress import Bar, step
from forktool.tree import overlay_files

BASE_TAG = "forktool-upstream"
OVERLAY_SUBJECT = "forktool: overlay (files that upstream does not have)"
NAME_RE = re.compile(r"^[A-Za-z0-9._/-]+\.patch$")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "forktool",
    "GIT_AUTHOR_EMAIL": "forktool@localhost",
    "GIT_COMMITTER_NAME": "forktool",
    "GIT_COMMITTER_EMAIL": "forktool@localhost",
    "GIT_CONFIG_NOSYSTEM": "1",
}
DIFF_OPTIONS = [
    "-c", "core.quotePath=false", "-c", "diff.noprefix=false",
    "-c", "diff.mnemonicPrefix=false", "-c", "diff.relative=false",
    "diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
    "--diff-algorithm=myers", "--unified=3", "--src-prefix=a/", "--dst-prefix=b/",
]  # fmt: skip


def git(cwd: Path, *args: str, stdin: str | None = None, env: bool = False) -> str:
    environ = {**os.environ, **GIT_ENV} if env else None
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, input=stdin, capture_output=True,
            text=True, env=environ,
        )  # fmt: skip
    except FileNotFoundError:
        raise ForkError("git is needed for edit/export and was not found") from None
    if proc.returncode != 0:
        raise ForkError(f"git {' '.join(args[:3])} failed: {proc.stderr.strip()}")
    return proc.stdout


def _commit(work: Path, message: str) -> None:
    git(work, "add", "--all", ".")
    git(
        work, "commit", "--quiet", "--allow-empty", "--no-verify",
        "--cleanup=verbatim", "-F", "-", stdin=message, env=True,
    )  # fmt: skip


def edit(repo: Repo, work: Path) -> None:
    work = work.resolve()
    if work.exists() and any(work.iterdir()):
        raise ForkError(f"{work} exists and is not empty")
    work.mkdir(parents=True, exist_ok=True)
    try:
        git(work, "init", "--quiet", "--initial-branch=fork")
        git(work, "config", "core.autocrlf", "false")
        # What an editable install or a test run leaves in the work tree.
        (work / ".git" / "info").mkdir(parents=True, exist_ok=True)
        (work / ".git" / "info" / "exclude").write_text(
            "*.egg-info/\n__pycache__/\n*.py[co]\n/build/\n/dist/\n"
        )
        sdist = fetch.fetch(repo.upstream())
        step(f"Unpacking {sdist.name}")
        fetch.extract(sdist, work)
        _commit(work, f"{repo.upstream().requirement}: pristine upstream\n")
        git(work, "tag", BASE_TAG)
        names = patching.read_series(repo.series_file)
        bar = Bar("Committing patches", len(names))
        for name in names:
            patch = patching.load(repo.patches_dir, name)
            patching.apply(patch, work)
            _commit(work, f"{name}\n\n{patch.header.rstrip()}\n")
            bar.advance(name)
        bar.close()
        for rel in overlay_files(repo):
            target = work / rel
            if target.exists():
                raise ForkError(f"overlay file {rel} collides with the patched tree")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(repo.root / rel, target)
        _commit(work, OVERLAY_SUBJECT + "\n")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    step(f"Work tree ready in {work}: commit on top, then `forktool export {work}`")


def _message(work: Path, commit: str) -> tuple[str, str]:
    raw = git(work, "cat-file", "commit", commit)
    message = raw.split("\n\n", 1)[1] if "\n\n" in raw else ""
    subject, _, body = message.partition("\n")
    return subject.strip(), body.strip("\n")


def _names(work: Path, *args: str) -> set[str]:
    """The paths a NUL-separated git listing (``-z``) prints."""
    return {p for p in git(work, *args).split("\0") if p}


def export(repo: Repo, work: Path) -> list[str]:
    """Rewrite patches/ and the overlay from the commits in ``work``."""
    work = work.resolve()
    if git(work, "status", "--porcelain", "--untracked-files=no"):
        raise ForkError(f"{work} has uncommitted changes; commit them first")
    base = git(work, "rev-parse", f"{BASE_TAG}^{{commit}}").strip()
    upstream_paths = _names(work, "ls-tree", "-r", "-z", "--name-only", base)
    commits = git(work, "rev-list", "--reverse", f"{base}..HEAD").split()
    patches: list[tuple[str, str]] = []
    for commit in commits:
        subject, body = _message(work, commit)
        changed = _names(
            work, "diff", "--name-only", "-z", "--no-renames", f"{commit}^", commit
        )
        touched = sorted(changed & upstream_paths)
        if subject == OVERLAY_SUBJECT:
            if touched:
                raise ForkError(
                    f"the overlay commit {commit[:10]} changes upstream files "
                    f"({', '.join(touched[:3])}); move that change into a patch"
                )
            continue
        if not touched:
            continue  # only overlay files: they are taken from the final tree
        if not NAME_RE.match(subject):
            raise ForkError(
                f"commit {commit[:10]} ({subject!r}) changes upstream files but its "
                "subject line is not a patch name such as 'core/0002-topic.patch'"
            )
        if not body.strip():
            raise ForkError(f"commit {commit[:10]} ({subject}) has no DEP-3 header")
        diff = git(work, *DIFF_OPTIONS, f"{commit}^", commit, "--",
                   *(f":(literal){p}" for p in touched))  # fmt: skip
        diff = "".join(
            line for line in diff.splitlines(keepends=True)
            if not line.startswith("index ")
        )  # fmt: skip
        if any(name == subject for name, _ in patches):
            raise ForkError(f"two commits are named {subject}; squash them")
        patches.append((subject, f"{body}\n\n{diff}"))

    final = _names(work, "ls-tree", "-r", "-z", "--name-only", "HEAD")
    added = sorted(final - upstream_paths)
    outside = [p for p in added if p.split("/", 1)[0] not in OVERLAY_DIRS]
    if outside:
        raise ForkError(
            f"new files outside the overlay folders {', '.join(OVERLAY_DIRS)}: "
            + ", ".join(outside[:5])
        )

    # Write the result only now that every commit has been read successfully.
    for old in overlay_files(repo):
        (repo.root / old).unlink()
    for rel in added:
        data = subprocess.run(
            ["git", "show", f"HEAD:{rel}"], cwd=work, capture_output=True, check=True
        ).stdout
        target = repo.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    for top in OVERLAY_DIRS:
        _prune_empty_dirs(repo.root / top)
    names = [name for name, _ in patches]
    for path in repo.patches_dir.rglob("*.patch"):
        if path.relative_to(repo.patches_dir).as_posix() not in names:
            path.unlink()
    for name, text in patches:
        target = repo.patches_dir / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8"))
    _prune_empty_dirs(repo.patches_dir)
    write_series(repo, names)
    step(f"Exported {len(names)} patches and {len(added)} overlay files")
    return names


def write_series(repo: Repo, names: list[str]) -> None:
    """Rewrite patches/series unless it already lists ``names`` in that order.

    Comments are kept (see patching.SeriesLayout): the opening block stays at
    the top, and the comments above a name stay above it wherever the name
    goes; those above a name that is gone move to the next name that is
    still there. New names are listed without comments.
    """
    if patching.read_series(repo.series_file) == names and repo.series_file.exists():
        return
    old = patching.read_layout(repo.series_file)
    wanted = set(names)
    above: dict[str, list[str]] = {}
    lines: dict[str, str] = {}
    carried: list[str] = []
    for entry in old.entries:
        if entry.name in wanted:
            above[entry.name] = carried + entry.above
            lines[entry.name] = entry.line
            carried = []
        else:
            carried += entry.above
    new = patching.SeriesLayout(
        preamble=old.preamble,
        entries=[
            patching.SeriesEntry(name, lines.get(name, name), above.get(name, []))
            for name in names
        ],
        trailer=carried + old.trailer,
    )
    repo.series_file.parent.mkdir(parents=True, exist_ok=True)
    repo.series_file.write_text(new.render(), encoding="utf-8")


def _prune_empty_dirs(top: Path) -> None:
    if not top.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(top, topdown=False):
        path = Path(dirpath)
        if path != top and not any(path.iterdir()):
            path.rmdir()
