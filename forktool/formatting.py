"""Find the changes of a patch that only reformat upstream code.

A patch to an upstream file should show what it changes and nothing else, so a
run of changed lines (the removed and added lines between two context lines of
a hunk) must not merely restyle what was there. Such a run is
*formatting-only* when:

- in a Python file, replacing the removed lines by the added ones (that run
  alone, on the file as the patch finds it) leaves the same syntax tree and the
  same comments: the run only moves line breaks or indentation inside a
  statement, adds or drops brackets around an expression, trailing commas,
  backslash continuations or blank lines (a hunk that only adds or removes
  blank lines included), or swaps quote styles. A change to a
  name, a value, a string's text (docstrings included), a comment or the
  nesting of a statement changes the tree or the comments, so it never counts;
- in any other text file, the removed and added lines hold the same
  whitespace-separated words in the same order, and their lines start at
  the same indentations: only spacing inside lines, trailing whitespace or
  line wrapping differ. Indentation and blank lines are structure in
  reStructuredText (a block's extent, a paragraph's end), so a run that
  changes them is never judged formatting there.

Files that Python cannot parse (before or after the run) are judged as text
only when they are not Python; an unparsable Python file is never flagged.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass

from forktool.patching import FilePatch, Hunk, _lines

# What may differ in a formatting-only run of Python, for the quick first test.
_PY_NOISE = re.compile(r"[\s(),\\]")


@dataclass
class Run:
    """One run of changed lines: ``old[start:start + len(removed)]`` -> added."""

    start: int  # 0-based index in the old file
    removed: list[str]
    added: list[str]
    hunk: Hunk


def runs(hunk: Hunk) -> list[Run]:
    """Split a hunk into its runs of removed and added lines."""
    found: list[Run] = []
    line_no = hunk.old_start - 1 if hunk.old_len else hunk.old_start
    current: Run | None = None
    for line in hunk.lines:
        tag, text = line[0], line[1:]
        if tag == " ":
            current = None
            line_no += 1
            continue
        if current is None:
            current = Run(line_no, [], [], hunk)
            found.append(current)
        if tag == "-":
            current.removed.append(text)
            line_no += 1
        else:
            current.added.append(text)
    return found


def _words(lines: list[str]) -> list[str]:
    return " ".join(lines).split()


def _indents(lines: list[str]) -> set[str]:
    return {line[: len(line) - len(line.lstrip())] for line in lines if line.strip()}


def _py_key(lines: list[str]) -> str:
    return _PY_NOISE.sub("", "".join(lines)).replace("'", '"')


def _comments(source: str) -> list[str] | None:
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        return [
            " ".join(tok.string.split())
            for tok in tokens
            if tok.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


class _PythonFile:
    """A Python source, parsed once, to compare variants of it against."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self._tree: str | None = None
        self._comments: list[str] | None = None
        self._parsed = False

    def _parse(self) -> None:
        if not self._parsed:
            self._parsed = True
            self._tree, self._comments = _shape("\n".join(self.lines) + "\n")

    def same_shape(self, run: Run) -> bool:
        self._parse()
        if self._tree is None:
            return False
        end = run.start + len(run.removed)
        if self.lines[run.start : end] != run.removed:
            return False  # not where the hunk says: the series check reports it
        variant = self.lines[: run.start] + run.added + self.lines[end:]
        tree, comments = _shape("\n".join(variant) + "\n")
        return tree == self._tree and comments == self._comments


def _shape(source: str) -> tuple[str | None, list[str] | None]:
    """The syntax tree (as text) and the comments of ``source``."""
    try:
        tree = ast.dump(ast.parse(source))
    except (SyntaxError, ValueError):
        return None, None
    return tree, _comments(source)


def formatting_only(path: str, old: str | None, fp: FilePatch) -> list[Run]:
    """Return the runs of ``fp`` that only reformat ``old`` (the file before)."""
    if old is None:
        return []
    python = path.endswith(".py")
    source = _PythonFile(_lines(old)) if python else None
    found = []
    for hunk in fp.hunks:
        hunk_runs = runs(hunk)
        lone = len(hunk_runs) == 1
        for run in hunk_runs:
            if not any(line.strip() for line in run.removed + run.added) and not (
                python and lone
            ):
                # Blank lines beside other changes space those changes out; in
                # text (reST) a blank line may end a paragraph or a block.
                continue
            if python:
                if _py_key(run.removed) == _py_key(run.added) and source.same_shape(
                    run
                ):
                    found.append(run)
            elif _words(run.removed) == _words(run.added) and _indents(
                run.removed
            ) == _indents(run.added):
                found.append(run)
    return found


def describe(patch_name: str, path: str, run: Run) -> str:
    first = run.start + 1
    last = run.start + max(len(run.removed), 1)
    where = f"line {first}" if first == last else f"lines {first}-{last}"
    return (
        f"{patch_name}: {path} {run.hunk.header.split('@@')[1].strip()}: "
        f"{where}: formatting-only change (-{len(run.removed)} +{len(run.added)}"
        " lines: the same code once whitespace, brackets, trailing commas and "
        "quotes are set aside); keep upstream's formatting"
    )
