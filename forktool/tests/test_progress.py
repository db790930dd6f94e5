"""Long commands say what they are doing: forktool check, and the build backend."""

import json
import subprocess

from forktool import backend
from forktool.check import run_checks


def test_check_says_each_step_on_stderr(repo, capsys):
    assert run_checks(repo, quiet=False) == []
    out, err = capsys.readouterr()
    assert out == ""
    steps = [line for line in err.splitlines() if not line.startswith(" ")]
    assert steps == [
        "Series and DEP-3 headers: 1 patches",
        "Applying the series to a fresh tree, then adding the overlay",
        "Unpacking Fake-1.0.tar.gz",
        "Checking the security table against the series' CVE fields",
        "Looking for formatting-only changes in the patches",
        "Indexing the text of Fake-1.0.tar.gz for copied lines",
        "Comparing the repository's files with upstream's",
    ]
    assert "  Applying patches: 1/1 done" in err.splitlines()


def test_check_is_quiet_by_default(repo, capsys):
    assert run_checks(repo) == []
    assert capsys.readouterr().err == ""


def test_backend_keeps_setuptools_chatter_unless_it_fails(
    tmp_path, monkeypatch, capsys
):
    runs = []

    def fake_run(cmd, cwd, stdout, stderr, text):
        runs.append(cmd)
        stderr.write("copying django/__init__.py -> build/lib/django\n")
        failed = len(runs) > 1
        result = "" if failed else json.dumps("Django-1.0-py3-none-any.whl")
        return subprocess.CompletedProcess(cmd, int(failed), stdout=result)

    monkeypatch.setattr(backend.subprocess, "run", fake_run)
    name = backend._setuptools("build_wheel", tmp_path, str(tmp_path), None)
    assert name == "Django-1.0-py3-none-any.whl"
    assert "copying" not in capsys.readouterr().err
    try:
        backend._setuptools("build_wheel", tmp_path, str(tmp_path), None)
    except backend.ForkError as exc:
        assert str(exc) == "setuptools build_wheel failed in the patched tree"
    else:
        raise AssertionError("a failed setuptools run must raise ForkError")
    assert "copying django/__init__.py" in capsys.readouterr().err
