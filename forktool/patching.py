"""Parse and apply unified diffs strictly: every hunk where it says, no fuzz.

The patches are applied to one pinned source, so a hunk that does not match
exactly at its stated line is an error, never something to guess around.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from forktool.errors import ForkError

HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
NO_NEWLINE = "\\ No newline at end of file"


@dataclass
class Hunk:
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    header: str
    lines: list[str] = field(default_factory=list)  # each with its ' ', '-', '+'
    # Whether the last old / new line lacks a final newline.
    old_eof_nonl: bool = False
    new_eof_nonl: bool = False

    def old_lines(self) -> list[str]:
        return [line[1:] for line in self.lines if line[0] in " -"]

    def new_lines(self) -> list[str]:
        return [line[1:] for line in self.lines if line[0] in " +"]

    def added(self) -> list[str]:
        return [line[1:] for line in self.lines if line[0] == "+"]


@dataclass
class FilePatch:
    old_path: str | None  # None for a new file
    new_path: str | None  # None for a deleted file
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.new_path or self.old_path or ""


@dataclass
class Patch:
    name: str
    header: str
    files: list[FilePatch]


def _strip_prefix(raw: str) -> str | None:
    raw = raw.split("\t", 1)[0].strip()
    if raw == "/dev/null":
        return None
    if raw.startswith(("a/", "b/")):
        return raw[2:]
    return raw


def _lines(text: str) -> list[str]:
    # Only "\n" ends a line: str.splitlines() would also split on form feeds
    # and other separators that source files may contain.
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def split_header(text: str) -> tuple[str, str]:
    """Split a patch into its DEP-3 header and its diff."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("diff --git ") or (
            line.startswith("--- ")
            and i + 1 < len(lines)
            and lines[i + 1].startswith("+++ ")
        ):
            return "".join(f"{x}\n" for x in lines[:i]), "\n".join(lines[i:])
    return text, ""


def parse(name: str, text: str) -> Patch:
    header, diff = split_header(text)
    lines = _lines(diff)
    files: list[FilePatch] = []
    current: FilePatch | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("diff --git "):
            current = None
            i += 1
            continue
        if line.startswith("--- ") and i + 1 < len(lines):
            nxt = lines[i + 1]
            if not nxt.startswith("+++ "):
                raise ForkError(f"{name}: '---' line {i + 1} not followed by '+++'")
            current = FilePatch(_strip_prefix(line[4:]), _strip_prefix(nxt[4:]))
            files.append(current)
            i += 2
            continue
        match = HUNK_RE.match(line)
        if match:
            if current is None:
                raise ForkError(f"{name}: hunk without a file header: {line}")
            old_start, old_len, new_start, new_len = (
                int(g) if g is not None else 1 for g in match.groups()
            )
            hunk = Hunk(old_start, old_len, new_start, new_len, line)
            i += 1
            old_seen = new_seen = 0
            while i < len(lines) and (old_seen < old_len or new_seen < new_len):
                body = lines[i]
                tag = body[:1] or " "
                if tag not in " -+":
                    raise ForkError(
                        f"{name}: {current.path}: malformed line in hunk "
                        f"{line!r}: {body!r}"
                    )
                hunk.lines.append(tag + body[1:])
                old_seen += tag in " -"
                new_seen += tag in " +"
                i += 1
                if i < len(lines) and lines[i] == NO_NEWLINE:
                    if tag in " -":
                        hunk.old_eof_nonl = True
                    if tag in " +":
                        hunk.new_eof_nonl = True
                    i += 1
            if old_seen != old_len or new_seen != new_len:
                raise ForkError(f"{name}: {current.path}: truncated hunk {line!r}")
            current.hunks.append(hunk)
            continue
        if line.startswith("Binary files ") or line.startswith("GIT binary patch"):
            raise ForkError(f"{name}: binary patches are not supported")
        i += 1  # index, mode and similar git extended header lines
    return Patch(name=name, header=header, files=files)


def apply_to_text(patch: Patch, fp: FilePatch, old: str | None) -> str | None:
    """Return the patched content of one file (None when it is deleted)."""
    old_lines = [] if old is None else _lines(old)
    old_ends_nl = old is None or old == "" or old.endswith("\n")
    result: list[str] = []
    pos = 0  # index into old_lines of the next line to copy
    new_ends_nl = old_ends_nl
    for number, hunk in enumerate(fp.hunks, 1):
        where = f"{patch.name}: hunk #{number} of {fp.path} ({hunk.header.strip()})"
        start = hunk.old_start - 1 if hunk.old_len else hunk.old_start
        if start < pos:
            raise ForkError(f"{where} overlaps the previous hunk")
        expected = hunk.old_lines()
        found = old_lines[start : start + len(expected)]
        if found != expected:
            for offset, (want, got) in enumerate(zip(expected, found)):
                if want != got:
                    raise ForkError(
                        f"{where} does not apply: line {start + offset + 1} is "
                        f"{got!r}, the patch expects {want!r}"
                    )
            raise ForkError(f"{where} does not apply: the file ends too early")
        result.extend(old_lines[pos:start])
        result.extend(hunk.new_lines())
        pos = start + len(expected)
        if pos >= len(old_lines):
            new_ends_nl = not hunk.new_eof_nonl
    result.extend(old_lines[pos:])
    if fp.new_path is None:
        if result:
            raise ForkError(f"{patch.name}: deleting {fp.path} leaves lines behind")
        return None
    text = "\n".join(result)
    if result and new_ends_nl:
        text += "\n"
    return text


def apply(patch: Patch, root: Path) -> list[str]:
    """Apply ``patch`` to the tree at ``root``; return the paths it created."""
    created = []
    for fp in patch.files:
        if fp.old_path is not None and fp.new_path is not None:
            if fp.old_path != fp.new_path:
                raise ForkError(f"{patch.name}: renames are not supported ({fp.path})")
        target = root / fp.path
        if fp.old_path is None:
            if target.exists():
                raise ForkError(f"{patch.name}: creates {fp.path}, which exists")
            old = None
            created.append(fp.path)
        else:
            try:
                old = target.read_bytes().decode("utf-8")
            except FileNotFoundError:
                raise ForkError(
                    f"{patch.name}: {fp.path} does not exist in the tree"
                ) from None
        new = apply_to_text(patch, fp, old)
        if new is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(new.encode("utf-8"))
    return created


def read_series(series_file: Path) -> list[str]:
    """The patch names in ``series``, in order, without comments or blanks."""
    if not series_file.is_file():
        return []
    names = []
    for raw in series_file.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


@dataclass
class SeriesEntry:
    name: str
    line: str  # as written, a trailing "# comment" included
    above: list[str] = field(default_factory=list)  # comments and blanks


@dataclass
class SeriesLayout:
    """patches/series with its comments: what ``export`` keeps.

    The preamble is the comment block that opens the file, up to its last
    blank line; every other comment or blank line belongs to the patch name
    below it (a section comment such as ``# web`` heads its first patch), and
    what follows the last name is the trailer.
    """

    preamble: list[str] = field(default_factory=list)
    entries: list[SeriesEntry] = field(default_factory=list)
    trailer: list[str] = field(default_factory=list)

    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def render(self) -> str:
        lines = list(self.preamble)
        for entry in self.entries:
            lines += entry.above + [entry.line]
        lines += self.trailer
        return "".join(f"{line}\n" for line in lines)


def read_layout(series_file: Path) -> SeriesLayout:
    layout = SeriesLayout()
    if not series_file.is_file():
        return layout
    pending: list[str] = []
    for raw in series_file.read_text(encoding="utf-8").splitlines():
        name = raw.split("#", 1)[0].strip()
        if not name:
            pending.append(raw)
            continue
        if not layout.entries:
            blanks = [i for i, line in enumerate(pending) if not line.strip()]
            cut = blanks[-1] + 1 if blanks else len(pending)
            layout.preamble, pending = pending[:cut], pending[cut:]
        layout.entries.append(SeriesEntry(name, raw, pending))
        pending = []
    if layout.entries:
        layout.trailer = pending
    else:
        layout.preamble = pending
    return layout


def load(patches_dir: Path, name: str) -> Patch:
    path = patches_dir / name
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ForkError(f"patches/series lists {name}, which does not exist") from None
    return parse(name, text)
