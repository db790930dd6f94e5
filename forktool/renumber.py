"""Group the series by section and number each section in applied order.

The series grew as a history: a docs patch after the code it documents, a
core patch between two native ones, numbers that do not follow the order the
patches apply in. ``renumber`` turns it into a table of contents:

- the patches are grouped by section (the folder of their name) in a given
  section order, keeping their relative order inside each section;
- inside a section, the numbers the section already uses are handed out
  again in applied order, so a section whose numbers already rise keeps its
  names (security/0010 ... 0125 stay as they are) and ``docs/0010`` applied
  before ``docs/0009`` swaps numbers with it;
- patches/series is written with one ``# section`` comment block per section
  (the first such block the old series has for it, else ``# <section>``).

Moving a patch before another one that touches the same lines may not apply:
reordering re-applies every patch in the new order in an edit tree, the way
``git rebase -i`` with a reordered todo does. ``plan`` says what would move,
``trial`` tries it on a scratch worktree and reports each patch that does not
apply there, ``apply`` rebases the edit tree for real, and ``finish`` exports
it and writes the sectioned series.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from forktool import patching
from forktool.config import Repo
from forktool.errors import ForkError
from forktool.gitwork import BASE_TAG, OVERLAY_SUBJECT, export, git

SECTIONS = (
    "core", "compat", "packaging", "db", "async", "web", "orm", "auth",
    "native", "security", "docs",
)  # fmt: skip
NAME_RE = re.compile(r"^(?P<section>[^/]+)/(?P<number>\d+)-(?P<rest>.+\.patch)$")
STATE_FILE = "forktool-renumber.json"


def section_of(name: str) -> str:
    return name.split("/", 1)[0]


@dataclass
class Plan:
    """The series in its new order, and the names that change."""

    old: list[str]  # the names in the current order
    order: list[str]  # the same names in the new order
    renames: dict[str, str]  # old name -> new name, for the names that change

    def new_name(self, name: str) -> str:
        return self.renames.get(name, name)

    def new_names(self) -> list[str]:
        return [self.new_name(name) for name in self.order]

    def moved(self) -> list[str]:
        """The fewest patches whose moving gives the new order.

        The others keep their relative order (the longest run of the new
        order that is in the old order, not necessarily contiguous).
        """
        old_at = {name: i for i, name in enumerate(self.old)}
        seq = [old_at[name] for name in self.order]
        # Longest increasing subsequence, patience sorting with back links.
        tails: list[int] = []
        tail_at: list[int] = []
        back = [-1] * len(seq)
        for i, value in enumerate(seq):
            lo, hi = 0, len(tails)
            while lo < hi:
                mid = (lo + hi) // 2
                if tails[mid] < value:
                    lo = mid + 1
                else:
                    hi = mid
            back[i] = tail_at[lo - 1] if lo else -1
            if lo == len(tails):
                tails.append(value)
                tail_at.append(i)
            else:
                tails[lo] = value
                tail_at[lo] = i
        keep = set()
        i = tail_at[-1] if tail_at else -1
        while i != -1:
            keep.add(i)
            i = back[i]
        return [name for i, name in enumerate(self.order) if i not in keep]

    def crossed(self, name: str) -> list[str]:
        """The patches that ``name`` now applies on the other side of."""
        old_at = {n: i for i, n in enumerate(self.old)}
        new_at = {n: i for i, n in enumerate(self.order)}
        return [
            other
            for other in self.old
            if other != name
            and (old_at[other] < old_at[name]) != (new_at[other] < new_at[name])
        ]


def make_plan(names: list[str], sections: tuple[str, ...] = SECTIONS) -> Plan:
    parsed = {}
    for name in names:
        match = NAME_RE.match(name)
        if not match:
            raise ForkError(f"{name} is not named <section>/<number>-<topic>.patch")
        parsed[name] = match
    unknown = sorted({section_of(n) for n in names} - set(sections))
    if unknown:
        raise ForkError(
            f"sections {', '.join(unknown)} are not in the section order "
            f"({', '.join(sections)})"
        )
    order = sorted(names, key=lambda n: sections.index(section_of(n)))
    renames = {}
    for section in sections:
        members = [n for n in order if section_of(n) == section]
        numbers = sorted(parsed[n]["number"] for n in members)
        for name, number in zip(members, numbers):
            new = f"{section}/{number}-{parsed[name]['rest']}"
            if new != name:
                renames[name] = new
    taken = [renames.get(n, n) for n in names]
    if len(set(taken)) != len(taken):
        raise ForkError("renumbering would give two patches the same name")
    return Plan(old=list(names), order=order, renames=renames)


SECTION_COMMENT = re.compile(r"^#\s*(?P<section>[\w-]+)\b")


def _section_heading(line: str, sections: tuple[str, ...]) -> str | None:
    match = SECTION_COMMENT.match(line)
    if match and match["section"] in sections:
        return match["section"]
    return None


def render_series(
    layout: patching.SeriesLayout, plan: Plan, sections: tuple[str, ...] = SECTIONS
) -> str:
    """patches/series in the plan's order, one comment block per section.

    A section's block is the first comment in the old series that starts with
    ``# <section>``, with the comment lines right below it; other comments
    stay with the patch below them; blank lines are redrawn between sections.
    """
    headings: dict[str, list[str]] = {}
    kept: dict[str, list[str]] = {}
    for entry in layout.entries:
        own: list[str] = []
        block: list[str] | None = None  # the heading block being read
        for line in entry.above:
            section = _section_heading(line, sections)
            if section:
                block = headings.setdefault(section, [])
                if block:
                    block = []  # a later heading of the same section: dropped
                block.append(line)
            elif not line.strip():
                block = None
            elif block is not None:
                block.append(line)
            else:
                own.append(line)
        kept[entry.name] = own
    lines_of = {entry.name: entry.line for entry in layout.entries}
    out = list(layout.preamble)
    current = None
    for name in plan.order:
        section = section_of(name)
        if section != current:
            if out and out[-1].strip():
                out.append("")
            out += headings.get(section, [f"# {section}"])
            current = section
        out += kept.get(name, [])
        out.append(lines_of.get(name, name).replace(name, plan.new_name(name), 1))
    trailer = [line for line in layout.trailer if not _section_heading(line, sections)]
    if trailer and trailer[0].strip():
        out.append("")
    out += trailer
    return "".join(f"{line}\n" for line in out)


def describe(plan: Plan) -> list[str]:
    lines = []
    for old, new in plan.renames.items():
        lines.append(f"rename {old} -> {new}")
    moved = plan.moved()
    lines.append(
        f"{len(moved)} of {len(plan.old)} patches change place"
        + (": " + ", ".join(moved) if moved else "")
    )
    return lines


def _patch_commits(work: Path, names: list[str]) -> dict[str, str]:
    """Map each patch of ``names`` to its commit in the fresh edit tree."""
    base = git(work, "rev-parse", f"{BASE_TAG}^{{commit}}").strip()
    log = git(work, "log", "--reverse", "--format=%H %s", f"{base}..HEAD")
    rows = [line.split(" ", 1) for line in log.splitlines() if line]
    subjects = [subject for _, subject in rows]
    if subjects != names + [OVERLAY_SUBJECT]:
        raise ForkError(
            f"{work} is not a fresh edit tree of this series (one commit per patch "
            "in series order, then the overlay): squash and export it first, then "
            "make a new one with `forktool edit`"
        )
    if git(work, "status", "--porcelain", "--untracked-files=no"):
        raise ForkError(f"{work} has uncommitted changes")
    return {subject: sha for sha, subject in rows}


def _touched(work: Path, commit: str) -> set[str]:
    out = git(work, "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", commit)
    return {p for p in out.split("\0") if p}


@dataclass
class Conflict:
    name: str
    files: list[str]
    crossed: list[str] = field(default_factory=list)  # moved across, same files
    skipped: list[str] = field(default_factory=list)  # earlier failures, same files

    def __str__(self) -> str:
        text = f"{self.name} does not apply in the new order ({', '.join(self.files)})"
        if self.crossed:
            crossed = ", ".join(self.crossed)
            text += (
                f"; it moved across {crossed} (left out here, so those applied; "
                "once it is resolved in a real rebase, they may conflict in turn)"
            )
        if self.skipped:
            text += "; it may only follow from skipping " + ", ".join(self.skipped)
        return text


def trial(work: Path, plan: Plan) -> list[Conflict]:
    """Re-apply the patches of the edit tree ``work`` in the plan's order.

    This happens in a scratch worktree, so ``work`` is left as it was. A patch
    that conflicts is left out (and reported) and the next ones are tried.
    """
    work = work.resolve()
    commits = _patch_commits(work, plan.old)
    touched = {name: _touched(work, sha) for name, sha in commits.items()}
    conflicts: list[Conflict] = []
    scratch = Path(tempfile.mkdtemp(prefix="forktool-renumber-"))
    shutil.rmtree(scratch)
    git(work, "worktree", "add", "--quiet", "--detach", str(scratch), BASE_TAG)
    try:
        for name in plan.order:
            try:
                git(scratch, "cherry-pick", "--allow-empty",
                    "--keep-redundant-commits", commits[name], env=True)  # fmt: skip
                continue
            except ForkError:
                pass
            files = sorted(
                p
                for p in git(
                    scratch, "diff", "--name-only", "-z", "--diff-filter=U"
                ).split(
                    "\0"
                )  # fmt: skip
                if p
            ) or sorted(touched[name])
            git(scratch, "cherry-pick", "--abort")
            conflicts.append(
                Conflict(
                    name,
                    files,
                    crossed=[
                        other
                        for other in plan.crossed(name)
                        if touched[other] & set(files)
                    ],
                    skipped=[c.name for c in conflicts if touched[c.name] & set(files)],
                )
            )
    finally:
        git(work, "worktree", "remove", "--force", str(scratch))
    return conflicts


def apply(repo: Repo, work: Path, plan: Plan) -> bool:
    """Rebase the edit tree into the plan's order, renaming the commits.

    Return True when the rebase went through; False when git stopped at a
    conflict (resolve it, ``git rebase --continue``, then ``finish``).
    """
    work = work.resolve()
    commits = _patch_commits(work, plan.old)
    overlay = git(work, "rev-parse", "HEAD").strip()
    gitdir = Path(git(work, "rev-parse", "--absolute-git-dir").strip())
    state = gitdir / STATE_FILE
    messages = gitdir / "forktool-renumber"
    shutil.rmtree(messages, ignore_errors=True)
    messages.mkdir()
    todo = []
    for number, name in enumerate(plan.order):
        todo.append(f"pick {commits[name]} {name}")
        if name in plan.renames:
            body = git(work, "log", "-1", "--format=%b", commits[name]).rstrip("\n")
            message = messages / f"{number:04d}.msg"
            message.write_text(f"{plan.renames[name]}\n\n{body}\n", encoding="utf-8")
            todo.append(
                "exec git commit --quiet --amend --no-verify --allow-empty "
                f"--cleanup=verbatim -F {shlex.quote(str(message))}"
            )
    todo.append(f"pick {overlay} {OVERLAY_SUBJECT}")
    todo_file = messages / "todo"
    todo_file.write_text("\n".join(todo) + "\n", encoding="utf-8")
    state.write_text(
        json.dumps(
            {
                "series": repo.series_file.read_text(encoding="utf-8"),
                "old": plan.old,
                "order": plan.order,
                "renames": plan.renames,
            }
        ),
        encoding="utf-8",
    )
    try:
        git(work, "-c", f"sequence.editor=cp {todo_file}", "rebase", "--quiet",
            "--interactive", "--keep-empty", BASE_TAG, env=True)  # fmt: skip
    except ForkError:
        if (gitdir / "rebase-merge").exists():
            return False
        raise
    return True


def finish(repo: Repo, work: Path, sections: tuple[str, ...] = SECTIONS) -> Plan:
    """Export the rebased edit tree and write the sectioned series."""
    work = work.resolve()
    gitdir = Path(git(work, "rev-parse", "--absolute-git-dir").strip())
    if (gitdir / "rebase-merge").exists() or (gitdir / "rebase-apply").exists():
        raise ForkError(
            f"the rebase in {work} is not done: resolve the conflict, "
            f"`git -C {work} rebase --continue`, then finish"
        )
    state_file = gitdir / STATE_FILE
    if not state_file.is_file():
        raise ForkError(f"{work} has no renumbering to finish (run apply first)")
    state = json.loads(state_file.read_text(encoding="utf-8"))
    plan = Plan(old=state["old"], order=state["order"], renames=state["renames"])
    with tempfile.TemporaryDirectory() as tmp:
        old_series = Path(tmp) / "series"
        old_series.write_text(state["series"], encoding="utf-8")
        layout = patching.read_layout(old_series)
    names = export(repo, work)
    if names != plan.new_names():
        raise ForkError(
            "the exported series is not the planned one (a commit was added, "
            "dropped or renamed during the rebase?); patches/series is as "
            "export wrote it"
        )
    repo.series_file.write_text(render_series(layout, plan, sections), encoding="utf-8")
    state_file.unlink()
    shutil.rmtree(gitdir / "forktool-renumber", ignore_errors=True)
    return plan


def references(repo: Repo, plan: Plan) -> list[str]:
    """Where the repository names a patch that the plan renames.

    Both the full name and its short form (section/number) count, in every
    file ``check`` judges but forktool's own (patch headers included: they
    come from the commits, so a reference there is fixed in the edit tree or
    the patch).
    """
    if not plan.renames:
        return []
    short = {
        old.split("-", 1)[0]: old for old in plan.renames
    }  # "docs/0009" -> full old name
    pattern = re.compile(
        r"(?<![\w/])(" + "|".join(re.escape(s) for s in short) + r")(?![\d])"
    )
    from forktool.check import repo_files

    found = []
    for path in repo_files(repo):
        rel = path.relative_to(repo.root).as_posix()
        if rel == "patches/series" or rel.startswith("forktool/"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            for match in pattern.finditer(line):
                old = short[match[1]]
                found.append(
                    f"{rel}:{number}: {match[1]} ({old} -> {plan.renames[old]})"
                )
    return found
