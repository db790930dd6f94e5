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


def later_release(repo, cache, files):
    """Add a later release of the fake upstream to upstream.toml."""
    from forktool.tests.conftest import make_sdist

    sha = make_sdist(cache / "Fake-2.0.tar.gz", files)
    with open(repo.root / "upstream.toml", "a") as toml:
        toml.write(
            '\n[[later]]\nname = "Fake"\nversion = "2.0"\n'
            f'sdist = "Fake-2.0.tar.gz"\nsha256 = "{sha}"\n'
        )


def test_text_of_a_later_release_is_reported_by_check_later(repo, cache):
    from forktool.check import check_later

    later_code = "".join(
        f"def added_later_{i}(value):\n    return value - {i * 3}\n\n"
        for i in range(12)
    )
    later_release(repo, cache, {**UPSTREAM_FILES, "django/later.py": later_code})
    assert [release.version for release in repo.later_releases()] == ["2.0"]
    assert repo.upstream().version == "1.0"
    (repo.root / "django" / "extra" / "backport.py").write_text(later_code)
    # The base check doesn't know the later release; check_later does.
    assert run_checks(repo) == []
    assert check_later(repo) == [
        "django/extra/backport.py is a copy of upstream django/later.py " "(Django 2.0)"
    ]


def test_check_later_passes_our_own_code(repo, cache):
    from forktool.check import check_later

    later_release(repo, cache, dict(UPSTREAM_FILES))
    assert check_later(repo) == []
