"""Which files ``forktool check`` judges: what git tracks, not local clutter."""

import shutil
import subprocess
from pathlib import Path

from forktool.check import repo_files, run_checks
from forktool.tests.conftest import CORE

REAL_GITIGNORE = Path(__file__).resolve().parents[2] / ".gitignore"


def make_venv(root: Path, name: str) -> None:
    """A virtual environment holding a copy of an upstream file, as a real one
    holds Django's own sources after `pip install`."""
    site = root / name / "lib" / "python3.11" / "site-packages" / "django"
    site.mkdir(parents=True)
    (root / name / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (site / "core.py").write_text(CORE)


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def test_quick_start_venv_is_ignored_by_the_repository(repo):
    # The README's Install section makes .venv/ in the checkout.
    shutil.copyfile(REAL_GITIGNORE, repo.root / ".gitignore")
    make_venv(repo.root, ".venv")
    assert run_checks(repo) == []


def test_repository_ignores_usual_local_folders(repo):
    shutil.copyfile(REAL_GITIGNORE, repo.root / ".gitignore")
    local = [".venv/bin/python", "venv/bin/python", ".idea/workspace.xml",
             ".vscode/settings.json", "build/tree/setup.py", ".tox/py311/x",
             "django/__pycache__/x.pyc", ".mypy_cache/x.json"]  # fmt: skip
    ours = ["django/extra/__init__.py", "tests/env/test_env.py", "docs/venv.txt"]
    out = subprocess.run(
        ["git", "check-ignore", "--no-index", *local, *ours],
        cwd=repo.root, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    assert out == local


def test_untracked_venv_under_any_name_is_skipped(repo):
    make_venv(repo.root, "my-env")
    make_venv(repo.root / "django", "nested")
    assert run_checks(repo) == []
    names = {p.relative_to(repo.root).as_posix() for p in repo_files(repo)}
    assert "django/extra/__init__.py" in names
    assert not [n for n in names if "env" in n or "nested" in n]


def test_ignored_files_are_skipped(repo):
    (repo.root / ".gitignore").write_text("/scratch/\n")
    (repo.root / "scratch").mkdir()
    (repo.root / "scratch" / "core.py").write_text(CORE)
    assert run_checks(repo) == []


def test_untracked_copy_outside_a_venv_is_still_judged(repo):
    (repo.root / "tests").mkdir()
    (repo.root / "tests" / "core.py").write_text(CORE)
    make_venv(repo.root, ".venv")
    assert run_checks(repo) == ["tests/core.py is a copy of upstream django/core.py"]


def test_tracked_file_is_judged_even_if_ignored(repo):
    (repo.root / "scratch").mkdir()
    (repo.root / "scratch" / "core.py").write_text(CORE)
    git(repo.root, "add", "scratch/core.py")
    (repo.root / ".gitignore").write_text("/scratch/\n")
    assert run_checks(repo) == ["scratch/core.py is a copy of upstream django/core.py"]


def test_without_git_venvs_and_build_products_are_skipped(repo):
    shutil.rmtree(repo.root / ".git")
    make_venv(repo.root, "venv-old")
    (repo.root / "build").mkdir()
    (repo.root / "build" / "core.py").write_text(CORE)
    (repo.root / "docs").mkdir()
    (repo.root / "docs" / "core.py").write_text(CORE)
    assert run_checks(repo) == ["docs/core.py is a copy of upstream django/core.py"]
