"""renumber: group the series by section, number it in applied order."""

import os
import subprocess

import pytest

from forktool import renumber
from forktool.check import run_checks
from forktool.errors import ForkError
from forktool.gitwork import GIT_ENV, edit, export
from forktool.patching import read_layout, read_series

SECTIONS = ("core", "web", "docs")
HEADER = "Author: dev\nForwarded: not-needed\nLast-Update: 2026-12-05\n"


def test_plan_groups_sections_and_reuses_numbers_in_applied_order():
    names = [
        "core/0001-a.patch",
        "docs/0002-b.patch",
        "web/0001-c.patch",
        "docs/0001-d.patch",
        "core/0005-e.patch",
        "web/0007-f.patch",
    ]
    plan = renumber.make_plan(names, SECTIONS)
    assert plan.order == [
        "core/0001-a.patch",
        "core/0005-e.patch",
        "web/0001-c.patch",
        "web/0007-f.patch",
        "docs/0002-b.patch",
        "docs/0001-d.patch",
    ]
    # Numbers already rising (core, web) stay, gaps included; docs swap.
    assert plan.renames == {
        "docs/0002-b.patch": "docs/0001-b.patch",
        "docs/0001-d.patch": "docs/0002-d.patch",
    }
    assert plan.new_names() == [
        "core/0001-a.patch",
        "core/0005-e.patch",
        "web/0001-c.patch",
        "web/0007-f.patch",
        "docs/0001-b.patch",
        "docs/0002-d.patch",
    ]
    # Three patches have to move (any three that leave the rest in order).
    moved = plan.moved()
    assert len(moved) == 3
    assert [n for n in names if n not in moved] == [
        n for n in plan.order if n not in moved
    ]
    assert plan.crossed("core/0005-e.patch") == [
        "docs/0002-b.patch",
        "web/0001-c.patch",
        "docs/0001-d.patch",
    ]


def test_plan_of_an_ordered_series_changes_nothing():
    names = ["core/0001-a.patch", "web/0001-b.patch", "docs/0003-c.patch"]
    plan = renumber.make_plan(names, SECTIONS)
    assert (plan.order, plan.renames, plan.moved()) == (names, {}, [])


@pytest.mark.parametrize(
    "names, message",
    [
        (["orm/0001-a.patch"], "sections orm are not in the section order"),
        (["core/first.patch"], "is not named <section>/<number>-<topic>.patch"),
    ],
)
def test_plan_refuses_unknown_sections_and_names(names, message):
    with pytest.raises(ForkError, match=message):
        renumber.make_plan(names, SECTIONS)


def test_render_series_writes_one_heading_per_section(tmp_path):
    path = tmp_path / "series"
    path.write_text(
        "# The series.\n"
        "\n"
        "# core: the core\n"
        "core/0001-a.patch\n"
        "# docs: written here\n"
        "#   over two lines\n"
        "docs/0002-b.patch  # first\n"
        "\n"
        "web/0001-c.patch\n"
        "# docs, again\n"
        "# a note on d\n"
        "docs/0001-d.patch\n"
    )
    layout = read_layout(path)
    plan = renumber.make_plan(layout.names(), SECTIONS)
    assert renumber.render_series(layout, plan, SECTIONS) == (
        "# The series.\n"
        "\n"
        "# core: the core\n"
        "core/0001-a.patch\n"
        "\n"
        "# web\n"
        "web/0001-c.patch\n"
        "\n"
        "# docs: written here\n"
        "#   over two lines\n"
        "docs/0001-b.patch  # first\n"
        "docs/0002-d.patch\n"
    )


def git(work, *args):
    return subprocess.run(
        ["git", *args], cwd=work, check=True, capture_output=True, text=True,
        env={**os.environ, **GIT_ENV, "GIT_EDITOR": "true"},
    ).stdout  # fmt: skip


def change(work, path, old, new, subject):
    target = work / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new, 1))
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", f"{subject}\n\nDescription: {subject}\n{HEADER}")


def make_series(repo, tmp_path, conflicting):
    """core/0001, docs/0002, web/0001, docs/0001, core/0002 in applied order.

    core/0002 changes the line web/0001 changed when ``conflicting``, so it
    cannot move before it; otherwise another function.
    """
    work = tmp_path / "wt0"
    edit(repo, work)
    change(work, "docs/index.txt", "fake docs.", "fake docs, patched.",
           "docs/0002-first.patch")  # fmt: skip
    change(work, "django/core.py", "* 3 + 21", "* 3 + 22", "web/0001-views.patch")
    change(work, "docs/index.txt", "Welcome\n=======", "Hello\n=====",
           "docs/0001-second.patch")  # fmt: skip
    old = "* 3 + 22" if conflicting else "* 5 + 35"
    change(work, "django/core.py", old, "* 9 + 99", "core/0002-late.patch")
    export(repo, work)
    (repo.patches_dir / "series").write_text(
        "# The series.\n\n# core\n"
        + "".join(f"{name}\n" for name in read_series(repo.patches_dir / "series"))
    )
    fresh = tmp_path / "wt1"
    edit(repo, fresh)
    return fresh


def test_trial_reports_the_patch_that_conflicts_and_leaves_the_tree(repo, tmp_path):
    work = make_series(repo, tmp_path, conflicting=True)
    head = git(work, "rev-parse", "HEAD")
    plan = renumber.make_plan(read_series(repo.patches_dir / "series"), SECTIONS)
    conflicts = renumber.trial(work, plan)
    assert [str(c) for c in conflicts] == [
        "core/0002-late.patch does not apply in the new order (django/core.py); "
        "it moved across web/0001-views.patch (left out here, so those applied; "
        "once it is resolved in a real rebase, they may conflict in turn)"
    ]
    assert git(work, "rev-parse", "HEAD") == head
    assert git(work, "worktree", "list").count("\n") == 1
    assert git(work, "status", "--porcelain") == ""


def test_apply_reorders_renames_and_writes_sections(repo, tmp_path):
    work = make_series(repo, tmp_path, conflicting=False)
    plan = renumber.make_plan(read_series(repo.patches_dir / "series"), SECTIONS)
    assert renumber.trial(work, plan) == []
    assert renumber.apply(repo, work, plan)
    renumber.finish(repo, work, SECTIONS)
    assert (repo.patches_dir / "series").read_text() == (
        "# The series.\n"
        "\n"
        "# core\n"
        "core/0001-ready.patch\n"
        "core/0002-late.patch\n"
        "\n"
        "# web\n"
        "web/0001-views.patch\n"
        "\n"
        "# docs\n"
        "docs/0001-first.patch\n"
        "docs/0002-second.patch\n"
    )
    assert sorted(p.name for p in (repo.patches_dir / "docs").iterdir()) == [
        "0001-first.patch",
        "0002-second.patch",
    ]
    first = (repo.patches_dir / "docs" / "0001-first.patch").read_text()
    assert first.startswith("Description: docs/0002-first.patch\n")
    assert "+The fake docs, patched.\n" in first
    assert run_checks(repo) == []


def test_apply_stops_at_a_conflict_and_finish_waits_for_it(repo, tmp_path):
    work = make_series(repo, tmp_path, conflicting=True)
    plan = renumber.make_plan(read_series(repo.patches_dir / "series"), SECTIONS)
    assert not renumber.apply(repo, work, plan)
    with pytest.raises(ForkError, match="rebase in .* is not done"):
        renumber.finish(repo, work, SECTIONS)
    # Resolve each conflict for the patch being applied: core/0002 now
    # changes upstream's line, and web/0001 then changes core/0002's.
    picked = []
    while (work / ".git" / "rebase-merge").exists():
        picked.append(git(work, "diff", "--name-only", "--diff-filter=U"))
        git(work, "checkout", "--theirs", "django/core.py")
        git(work, "add", "-A")
        subprocess.run(
            ["git", "rebase", "--continue"], cwd=work, capture_output=True,
            env={**os.environ, **GIT_ENV, "GIT_EDITOR": "true"},
        )  # fmt: skip
    assert picked == ["django/core.py\n", "django/core.py\n"]
    renumber.finish(repo, work, SECTIONS)
    assert read_series(repo.patches_dir / "series") == plan.new_names()
    assert run_checks(repo) == []
    web = (repo.patches_dir / "web" / "0001-views.patch").read_text()
    assert "-    return argument * 9 + 99\n+    return argument * 3 + 22\n" in web


def test_trial_refuses_a_tree_that_is_not_fresh(repo, tmp_path):
    work = make_series(repo, tmp_path, conflicting=False)
    change(work, "django/core.py", "* 7 + 49", "* 7 + 50", "core/0009-more.patch")
    plan = renumber.make_plan(read_series(repo.patches_dir / "series"), SECTIONS)
    with pytest.raises(ForkError, match="is not a fresh edit tree"):
        renumber.trial(work, plan)


def test_references_to_renamed_patches(repo, tmp_path):
    (repo.root / "NOTES.md").write_text(
        "docs/0002 documents it; docs/0002-first.patch too; docs/00021 not.\n"
    )
    plan = renumber.Plan(
        old=["docs/0002-first.patch", "docs/0001-second.patch"],
        order=["docs/0002-first.patch", "docs/0001-second.patch"],
        renames={"docs/0002-first.patch": "docs/0001-first.patch"},
    )
    assert renumber.references(repo, plan) == [
        "NOTES.md:1: docs/0002 (docs/0002-first.patch -> docs/0001-first.patch)",
        "NOTES.md:1: docs/0002 (docs/0002-first.patch -> docs/0001-first.patch)",
    ]


def test_command_line_plans_tries_and_applies(repo, tmp_path, monkeypatch, capsys):
    from forktool import cli

    work = make_series(repo, tmp_path, conflicting=True)
    monkeypatch.setattr(cli, "find_repo", lambda: repo)
    sections = ["--sections", ",".join(SECTIONS)]
    assert cli.main(["renumber", *sections]) == 0
    out = capsys.readouterr().out
    assert "rename docs/0002-first.patch -> docs/0001-first.patch" in out
    assert cli.main(["renumber", str(work), *sections]) == 1
    assert "conflict: core/0002-late.patch does not apply" in capsys.readouterr().out
    assert cli.main(["renumber", str(work), "--apply", *sections]) == 1
    assert "git stopped at a conflict" in capsys.readouterr().out
    assert cli.main(["renumber", str(work), "--finish", *sections]) == 1
    assert "is not done" in capsys.readouterr().err
