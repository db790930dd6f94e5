from forktool.check import run_checks
from forktool.tests.conftest import CORE, UPSTREAM_FILES


def test_vendored_upstream_file_is_reported(repo):
    (repo.root / "django" / "extra" / "core.py").write_text(CORE)
    assert run_checks(repo) == [
        "django/extra/core.py is a copy of upstream django/core.py"
    ]


def test_reindented_copy_is_still_a_copy(repo):
    text = "".join("    " + line + "\n" for line in CORE.splitlines())
    (repo.root / "tests").mkdir()
    (repo.root / "tests" / "copied.py").write_text(text)
    assert run_checks(repo) == ["tests/copied.py is a copy of upstream django/core.py"]


def test_copied_block_inside_our_file_is_reported(repo):
    block = "".join(CORE.splitlines(keepends=True)[3:21])
    (repo.root / "django" / "extra" / "mixed.py").write_text(
        '"""Mostly ours."""\n\nOURS = 1\n\n' + block + "\nMORE = 2\n"
    )
    problems = run_checks(repo)
    assert len(problems) == 1
    assert problems[0].startswith("django/extra/mixed.py: 10+ lines")
    assert problems[0].endswith("verbatim in upstream django/core.py")


def test_patch_adding_upstream_lines_is_reported(repo):
    added = "".join("+" + line + "\n" for line in CORE.splitlines()[:18])
    patch = repo.patches_dir / "core" / "0001-ready.patch"
    patch.write_text(
        patch.read_text().replace("@@ -3,3 +3,3 @@", "@@ -3,3 +3,21 @@") + added
    )
    problems = run_checks(repo)
    assert len(problems) == 1
    assert "core/0001-ready.patch: django/__init__.py @@ -3,3 +3,21 @@" in problems[0]


def test_small_common_files_are_not_copies(repo):
    # An empty __init__.py or a one-liner matches many files by accident.
    (repo.root / "tests").mkdir()
    (repo.root / "tests" / "runner.py").write_text(UPSTREAM_FILES["tests/runtests.py"])
    assert run_checks(repo) == []
