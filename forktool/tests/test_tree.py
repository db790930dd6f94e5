import pytest

from forktool.check import run_checks
from forktool.errors import ForkError
from forktool.tree import build


def test_tree_applies_series_and_overlay(repo, tmp_path):
    tree = build(repo, tmp_path / "out")
    assert 'return "ready and patched"' in (tree / "django/__init__.py").read_text()
    assert (tree / "django/extra/__init__.py").read_text() == '"""Ours."""\n'


def test_tree_refuses_a_non_empty_destination(repo, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep").write_text("x")
    with pytest.raises(ForkError, match="not an empty folder"):
        build(repo, tmp_path / "out")


def test_patch_that_does_not_apply_names_patch_and_hunk(repo, tmp_path):
    patch = repo.patches_dir / "core" / "0001-ready.patch"
    patch.write_text(
        patch.read_text().replace('-    return "ready"', '-    return "set"')
    )
    with pytest.raises(ForkError) as info:
        build(repo, tmp_path / "out")
    message = str(info.value)
    assert "core/0001-ready.patch: hunk #1 of django/__init__.py" in message
    assert "@@ -3,3 +3,3 @@" in message
    assert "line 5" in message
    assert not (tmp_path / "out").exists()
    assert any("does not apply" in p for p in run_checks(repo))


def test_hunk_at_the_wrong_line_is_not_fuzzed(repo, tmp_path):
    patch = repo.patches_dir / "core" / "0001-ready.patch"
    patch.write_text(patch.read_text().replace("@@ -3,3 +3,3 @@", "@@ -2,3 +2,3 @@"))
    with pytest.raises(ForkError, match="does not apply"):
        build(repo, tmp_path / "out")


def test_overlay_collision(repo, tmp_path):
    (repo.root / "docs").mkdir()
    (repo.root / "docs" / "index.txt").write_text("Our own index\n")
    with pytest.raises(ForkError, match="overlay file docs/index.txt collides"):
        build(repo, tmp_path / "out")
    assert any("collides" in p for p in run_checks(repo))


def test_check_passes_on_a_sound_fork(repo):
    assert run_checks(repo) == []


def test_series_must_list_every_patch_once(repo):
    (repo.patches_dir / "core" / "0002-stray.patch").write_text("Description: x\n")
    series = repo.patches_dir / "series"
    series.write_text(series.read_text() + "core/0001-ready.patch\n")
    problems = run_checks(repo)
    assert "core/0002-stray.patch is not listed in patches/series" in problems
    assert "patches/series lists core/0001-ready.patch more than once" in problems


def test_patch_header_needs_description_and_author(repo):
    patch = repo.patches_dir / "core" / "0001-ready.patch"
    patch.write_text(patch.read_text().replace("Author: test\n", ""))
    assert run_checks(repo) == ["core/0001-ready.patch: header has no 'Author:' field"]


def test_patch_creating_a_file_is_reported(repo):
    patch = repo.patches_dir / "core" / "0001-ready.patch"
    patch.write_text(
        patch.read_text()
        + "diff --git a/django/new.py b/django/new.py\n"
        + "--- /dev/null\n+++ b/django/new.py\n@@ -0,0 +1 @@\n+X = 1\n"
    )
    problems = run_checks(repo)
    assert problems == [
        "core/0001-ready.patch: creates django/new.py; new files belong in the "
        "overlay folders"
    ]
