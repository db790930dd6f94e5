"""check rejects changes that only reformat upstream code."""

import pytest

from forktool.check import check_formatting, run_checks
from forktool.formatting import formatting_only, runs
from forktool.patching import parse

OLD = '''"""A module."""
import os


def area(width, height):
    # The area of a rectangle.
    label = "area" if width else "none"
    return width * height


def names(items):
    return [
        item.name
        for item in items
    ]
'''


def diff(path, *hunks):
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n" + "".join(
        hunks
    )


def flagged(path, old, *hunks):
    patch = parse("p", diff(path, *hunks))
    return [
        (run.removed, run.added)
        for fp in patch.files
        for run in formatting_only(path, old, fp)
    ]


def test_brackets_and_line_breaks_only_are_flagged():
    hunk = (
        "@@ -6,3 +6,5 @@ def area(width, height):\n"
        "     # The area of a rectangle.\n"
        '-    label = "area" if width else "none"\n'
        "+    label = (\n"
        "+        'area' if width else \"none\"\n"
        "+    )\n"
        "     return width * height\n"
    )
    assert len(flagged("m.py", OLD, hunk)) == 1


def test_trailing_comma_and_joined_lines_are_flagged():
    hunk = (
        "@@ -11,5 +11,2 @@ def area(width, height):\n"
        " def names(items):\n"
        "-    return [\n"
        "-        item.name\n"
        "-        for item in items\n"
        "-    ]\n"
        "+    return [item.name for item in items]\n"
    )
    assert len(flagged("m.py", OLD, hunk)) == 1
    hunk = (
        "@@ -8,1 +8,1 @@\n-    return width * height\n+    return (width * height,)\n"
    )
    # A trailing comma after an expression makes a tuple: a real change.
    assert flagged("m.py", OLD, hunk) == []
    hunk = hunk.replace("height,)", "height)")
    assert len(flagged("m.py", OLD, hunk)) == 1


def test_blank_line_only_hunk_is_flagged_in_python():
    hunk = '@@ -1,2 +1,3 @@\n """A module."""\n+\n import os\n'
    assert flagged("m.py", OLD, hunk) == [([], [""])]


@pytest.mark.parametrize(
    "removed, added",
    [
        # Dropping a call's parentheses changes what the code does.
        ("    return width * height", "    return (width) * height()"),
        # A comment is text a reader reads.
        ("    # The area of a rectangle.", "    # The area of a square."),
        # So is a string, even when only its spaces differ.
        ('    label = "area" if width else "none"',
         '    label = "area " if width else "none"'),
        # Indentation moves a statement into or out of a block.
        ("    return width * height", "        return width * height"),
    ],
)  # fmt: skip
def test_real_changes_are_not_flagged(removed, added):
    old = OLD.split("\n")
    start = old.index(removed) + 1
    hunk = f"@@ -{start},1 +{start},1 @@\n-{removed}\n+{added}\n"
    assert flagged("m.py", OLD, hunk) == []


def test_blank_lines_beside_a_real_change_are_not_flagged():
    hunk = (
        "@@ -8,3 +8,6 @@ def area(width, height):\n"
        " \n"
        "+def volume(width, height, depth):\n"
        "+    return area(width, height) * depth\n"
        "+\n"
        " \n"
        "-\n"
        "+\n"
        " def names(items):\n"
    )
    hunk = hunk.replace("@@ -8,3 +8,6 @@", "@@ -8,4 +8,7 @@")
    assert flagged("m.py", OLD, hunk) == []


def test_unparsable_python_is_never_flagged():
    old = "def broken(:\n    x = (1)\n"
    hunk = "@@ -2,1 +2,1 @@\n-    x = (1)\n+    x = 1\n"
    assert flagged("m.py", old, hunk) == []


TEXT = "First words of a\nparagraph that goes on.\n\nAnother one.\n"


def test_rewrapped_text_is_flagged():
    hunk = (
        "@@ -1,2 +1,2 @@\n"
        "-First words of a\n"
        "-paragraph that goes on.\n"
        "+First words of a paragraph\n"
        "+that goes on.\n"
    )
    assert len(flagged("docs/a.txt", TEXT, hunk)) == 1


def test_changed_words_and_blank_lines_in_text_are_not_flagged():
    hunk = "@@ -2,1 +2,1 @@\n-paragraph that goes on.\n+paragraph that stops.\n"
    assert flagged("docs/a.txt", TEXT, hunk) == []
    # A blank line splits a paragraph in two in reST.
    hunk = "@@ -1,2 +1,3 @@\n First words of a\n+\n paragraph that goes on.\n"
    assert flagged("docs/a.txt", TEXT, hunk) == []
    # Indenting a paragraph moves it into the block above it.
    hunk = "@@ -4,1 +4,1 @@\n-Another one.\n+    Another one.\n"
    assert flagged("docs/a.txt", TEXT, hunk) == []


def test_trailing_whitespace_and_spacing_in_text_are_flagged():
    hunk = "@@ -4,1 +4,1 @@\n-Another one.\n+Another  one.   \n"
    assert len(flagged("docs/a.txt", TEXT, hunk)) == 1


def test_runs_split_a_hunk_between_context_lines():
    hunk = (
        parse("p", diff("x", "@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n-d\n+D\n"))
        .files[0]
        .hunks[0]
    )
    assert [(r.start, r.removed, r.added) for r in runs(hunk)] == [
        (0, ["a"], ["A"]),
        (3, ["d"], ["D"]),
    ]


REFORMAT = (
    "@@ -1,2 +1,2 @@\n"
    "-def function_number_0(argument):\n"
    "-    return argument * 0 + 0\n"
    "+def function_number_0(argument):  \n"
    "+    return (argument * 0 + 0)\n"
)


def test_check_judges_each_patch_against_the_file_it_finds():
    upstream = {"m.py": b"x = 1\n"}
    # The second patch only reformats the line the first one wrote.
    first = parse("one", diff("m.py", "@@ -1,1 +1,1 @@\n-x = 1\n+x = 2\n"))
    second = parse("two", diff("m.py", "@@ -1,1 +1,1 @@\n-x = 2\n+x = (2)\n"))
    problems, notes = check_formatting(upstream, [first, second])
    assert notes == []
    assert len(problems) == 1 and problems[0].startswith("two: m.py -1,1 +1,1:")


def test_pending_patches_are_notes_until_they_are_clean():
    upstream = {"m.py": b"x = 1\n"}
    patch = parse("one", diff("m.py", "@@ -1,1 +1,1 @@\n-x = 1\n+x = (1)\n"))
    problems, notes = check_formatting(upstream, [patch], frozenset({"one"}))
    assert problems == [] and len(notes) == 1
    clean = parse("one", diff("m.py", "@@ -1,1 +1,1 @@\n-x = 1\n+x = 2\n"))
    problems, notes = check_formatting(upstream, [clean], frozenset({"one"}))
    assert notes == []
    assert problems == [
        "one no longer changes formatting only anywhere: drop it from "
        "FORMATTING_PENDING in forktool/check.py"
    ]


def test_run_checks_rejects_a_formatting_only_hunk(repo):
    path = repo.patches_dir / "core" / "0001-ready.patch"
    text = path.read_text() + (
        "diff --git a/django/core.py b/django/core.py\n"
        "--- a/django/core.py\n"
        "+++ b/django/core.py\n" + REFORMAT
    )
    path.write_text(text)
    problems = run_checks(repo)
    assert len(problems) == 1
    assert problems[0].startswith(
        "core/0001-ready.patch: django/core.py -1,2 +1,2: lines 1-2: "
        "formatting-only change"
    )
