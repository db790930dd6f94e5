import subprocess

import pytest

from forktool.errors import ForkError
from forktool.gitwork import edit, export


def snapshot(repo):
    """Every file under patches/ and the overlay, as bytes."""
    files = {}
    for top in ("patches", "django", "tests", "docs"):
        base = repo.root / top
        if base.exists():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    files[path.relative_to(repo.root).as_posix()] = path.read_bytes()
    return files


def commit(work, message):
    subprocess.run(["git", "add", "-A"], cwd=work, check=True)
    subprocess.run(
        ["git", "-c", "user.name=dev", "-c", "user.email=dev@localhost", "commit",
         "-q", "-m", message],
        cwd=work, check=True,
    )  # fmt: skip


@pytest.fixture
def exported(repo, tmp_path):
    """The fixture's patches as export writes them (the normal form)."""
    edit(repo, tmp_path / "wt0")
    export(repo, tmp_path / "wt0")
    return snapshot(repo)


def test_edit_makes_one_commit_per_patch(repo, tmp_path):
    edit(repo, tmp_path / "wt")
    log = subprocess.run(
        ["git", "log", "--format=%s", "--reverse"], cwd=tmp_path / "wt",
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert log == [
        "Fake==1.0: pristine upstream",
        "core/0001-ready.patch",
        "forktool: overlay (files that upstream does not have)",
    ]


def test_round_trip_is_byte_for_byte(repo, tmp_path, exported):
    edit(repo, tmp_path / "wt1")
    export(repo, tmp_path / "wt1")
    assert snapshot(repo) == exported


def test_new_commit_becomes_a_patch_and_new_files_the_overlay(repo, tmp_path, exported):
    work = tmp_path / "wt1"
    edit(repo, work)
    core = work / "django" / "core.py"
    core.write_text(core.read_text().replace("* 3 + 21", "* 3 + 22"))
    (work / "tests" / "test_new.py").parent.mkdir(exist_ok=True)
    (work / "tests" / "test_new.py").write_text("def test():\n    pass\n")
    commit(
        work,
        "core/0002-tweak.patch\n\nDescription: Tweak one function\n"
        " Because.\nAuthor: dev\n",
    )
    export(repo, work)
    after = snapshot(repo)
    assert (repo.patches_dir / "series").read_text() == (
        "# The series.\ncore/0001-ready.patch\ncore/0002-tweak.patch\n"
    )
    assert after["tests/test_new.py"] == b"def test():\n    pass\n"
    patch = after["patches/core/0002-tweak.patch"].decode()
    assert patch.startswith(
        "Description: Tweak one function\n Because.\nAuthor: dev\n\n"
    )
    assert "-    return argument * 3 + 21\n+    return argument * 3 + 22\n" in patch
    assert "test_new.py" not in patch
    # And the new state survives its own round trip unchanged.
    edit(repo, tmp_path / "wt2")
    export(repo, tmp_path / "wt2")
    assert snapshot(repo) == after


def test_edited_header_is_kept(repo, tmp_path, exported):
    work = tmp_path / "wt1"
    edit(repo, work)
    subprocess.run(
        ["git", "rebase", "-q", "--exec",
         "git -c user.name=d -c user.email=d@l commit -q --amend --cleanup=verbatim "
         "-m \"$(git log -1 --format=%B | sed 's/Author: test/Author: test <t@l>/')\"",
         "forktool-upstream"],
        cwd=work, check=True, capture_output=True,
    )  # fmt: skip
    export(repo, work)
    text = (repo.patches_dir / "core" / "0001-ready.patch").read_text()
    assert "Author: test <t@l>\n" in text


def test_commit_without_patch_name_is_refused(repo, tmp_path, exported):
    work = tmp_path / "wt1"
    edit(repo, work)
    core = work / "django" / "core.py"
    core.write_text(core.read_text() + "\n# changed\n")
    commit(work, "Fix something")
    with pytest.raises(ForkError, match="subject line is not a patch name"):
        export(repo, work)
    assert snapshot(repo) == exported  # nothing written on failure


def test_new_file_outside_overlay_is_refused(repo, tmp_path, exported):
    work = tmp_path / "wt1"
    edit(repo, work)
    (work / "stray.txt").write_text("x\n")
    commit(work, "core/0003-stray.patch\n\nDescription: x\nAuthor: d\n")
    with pytest.raises(ForkError, match="outside the overlay folders"):
        export(repo, work)


def test_edit_refuses_non_empty_dir_and_cleans_up_on_failure(repo, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "x").write_text("x")
    with pytest.raises(ForkError, match="not empty"):
        edit(repo, tmp_path / "busy")
    (repo.patches_dir / "core" / "0001-ready.patch").write_text(
        "Description: broken\nAuthor: x\n\n--- a/django/core.py\n+++ b/django/core.py\n"
        "@@ -1,1 +1,1 @@\n-nothing like this\n+x\n"
    )
    with pytest.raises(ForkError, match="does not apply"):
        edit(repo, tmp_path / "wt")
    assert not (tmp_path / "wt").exists()
