import subprocess
import sys
from pathlib import Path

import pytest

from forktool import cli, databases, testing, venvs
from forktool.errors import ForkError
from forktool.testing import judge, parse_output, read_known

PY311_OUTPUT = """\
Creating test database for alias 'default'...
test_ok (app.tests.T.test_ok) ... ok
test_doc (app.tests.T.test_doc)
A docstring line. ... ok
test_bad (app.tests.T.test_bad) ... FAIL
test_err (app.tests.T.test_err) ... ERROR
test_skip (app.tests.T.test_skip) ... skipped 'no db'
test_xfail (app.tests.T.test_xfail) ... expected failure
======================================================================
FAIL: test_bad (app.tests.T.test_bad)
----------------------------------------------------------------------
ERROR: test_err (app.tests.T.test_err)
======================================================================
ERROR: setUpClass (app.tests.U)
Ran 6 tests in 0.1s

FAILED (failures=1, errors=2, skipped=1, expected failures=1)
"""


def test_parse_python311_style():
    outcome = parse_output(PY311_OUTPUT.splitlines())
    assert outcome.status["app.tests.T.test_ok"] == "ok"
    assert outcome.status["app.tests.T.test_doc"] == "ok"
    assert outcome.status["app.tests.T.test_skip"] == "skipped"
    assert outcome.failed == {
        "app.tests.T.test_bad", "app.tests.T.test_err", "app.tests.U.setUpClass"
    }  # fmt: skip
    assert outcome.summary.startswith("FAILED (failures=1")


def test_parse_python310_style():
    outcome = parse_output(
        ["test_ok (app.tests.T) ... ok", "test_bad (app.tests.T) ... FAIL",
         "FAIL: test_bad (app.tests.T)"]
    )  # fmt: skip
    assert outcome.status == {
        "app.tests.T.test_ok": "ok",
        "app.tests.T.test_bad": "FAIL",
    }
    assert outcome.failed == {"app.tests.T.test_bad"}


def test_known_failures_need_a_reason(tmp_path):
    path = tmp_path / "sqlite.txt"
    path.write_text("# header\napp.tests.T.test_bad  # Python 3.11 changed it\n")
    assert read_known(path) == {"app.tests.T.test_bad": "Python 3.11 changed it"}
    path.write_text("app.tests.T.test_bad\n")
    with pytest.raises(ForkError, match="sqlite.txt:1"):
        read_known(path)


def test_judge(capsys):
    outcome = parse_output(PY311_OUTPUT.splitlines())
    known = {
        "app.tests.T.test_bad": "r",
        "app.tests.T.test_err": "r",
        "app.tests.U.setUpClass": "r",
    }
    assert judge(outcome, known, "sqlite.txt", 1, 0.1) == 0
    assert "suite: 3 passed, 0 failed, 1 skipped" in capsys.readouterr().out


def test_judge_fails_on_unlisted_failure(capsys):
    outcome = parse_output(PY311_OUTPUT.splitlines())
    known = {"app.tests.T.test_bad": "r", "app.tests.U.setUpClass": "r"}
    assert judge(outcome, known, "sqlite.txt", 1, 0.1) == 1
    out = capsys.readouterr().out
    assert "UNEXPECTED FAILURE: app.tests.T.test_err" in out
    assert "suite: 3 passed, 1 failed, 1 skipped" in out


def test_judge_fails_when_a_listed_test_passes(capsys):
    outcome = parse_output(PY311_OUTPUT.splitlines())
    known = {
        "app.tests.T.test_bad": "r",
        "app.tests.T.test_err": "r",
        "app.tests.U.setUpClass": "r",
        "app.tests.T.test_ok": "was broken",
    }
    assert judge(outcome, known, "sqlite.txt", 1, 0.1) == 1
    assert "NOW PASSES (remove it from sqlite.txt): app.tests.T.test_ok" in (
        capsys.readouterr().out
    )


def test_judge_fails_when_the_runner_crashes(capsys):
    outcome = parse_output(["Traceback (most recent call last):", "ImportError: x"])
    assert judge(outcome, {}, "sqlite.txt", 1, 0.1) == 1
    assert "exited with 1 without reporting a failure" in capsys.readouterr().out


@pytest.mark.parametrize(
    "driver, venv", [("psycopg2", "venv-py3.11"), ("psycopg", "venv-py3.11-psycopg")]
)
def test_each_postgresql_driver_gets_its_venv(repo, monkeypatch, driver, venv):
    # prepare() with every command faked: which venv it makes, what goes in it.
    made, installed = [], []

    def fake_run(cmd, **kwargs):
        made.append(Path(cmd[-1]))
        (Path(cmd[-1]) / "bin").mkdir(parents=True)
        (Path(cmd[-1]) / "bin" / "python").touch()
        return subprocess.CompletedProcess(cmd, 0, "")

    monkeypatch.setattr(testing, "_python_version", lambda python: "3.11")
    monkeypatch.setattr(venvs.subprocess, "run", fake_run)
    monkeypatch.setattr(
        venvs, "pip", lambda python, *args, hint="": installed.append(args)
    )
    monkeypatch.setattr(testing, "rebuild", lambda repo, tree: tree.mkdir())
    reqs = repo.root / "requirements"
    reqs.mkdir()
    chosen = databases.get("postgresql").driver(driver)
    wanted = [reqs / "tests.txt", reqs / chosen.requirements]
    for path in wanted:
        path.write_text(f"# {path.name}\n")
    vpython, _ = testing.prepare(
        repo, "python3.11", wanted, venv_suffix=chosen.venv_suffix
    )
    assert made == [repo.build_dir / venv]
    assert vpython == repo.build_dir / venv / "bin" / "python"
    assert [a[2] for a in installed if a[:2] == ("install", "-r")] == [
        str(path) for path in wanted
    ]


FAKE_RUNNER = """\
print("test_bad (app.tests.T.test_bad) ... FAIL")
print("FAIL: test_bad (app.tests.T.test_bad)")
print("FAILED (failures=1)")
raise SystemExit(1)
"""


@pytest.mark.parametrize("driver, code", [("psycopg", 0), ("psycopg2", 1)])
def test_each_postgresql_driver_has_its_list_and_log(repo, monkeypatch, driver, code):
    # Only postgresql-psycopg.txt lists the test the fake runner fails.
    known = repo.root / "known-failures"
    known.mkdir()
    (known / "postgresql-psycopg.txt").write_text("app.tests.T.test_bad  # r\n")
    (known / "postgresql-psycopg2.txt").write_text("# nothing listed\n")
    tree = repo.build_dir / "tree"
    (tree / "tests").mkdir(parents=True)
    (tree / "tests" / "runtests.py").write_text(FAKE_RUNNER)
    prepared = []

    def fake_prepare(repo, python, reqs, hint, venv_suffix):
        prepared.append(([r.name for r in reqs], venv_suffix))
        return Path(sys.executable), tree

    monkeypatch.setattr(testing, "prepare", fake_prepare)
    monkeypatch.setattr(databases, "check_listening", lambda db: None)
    monkeypatch.setattr(databases, "check_login", lambda *args: None)
    chosen = databases.get("postgresql").driver(driver)
    assert testing.run_suite(repo, [], database="postgresql", driver=driver) == code
    assert prepared == [(["tests.txt", chosen.requirements], chosen.venv_suffix)]
    log = repo.build_dir / f"test-postgresql-{driver}.log"
    assert "FAILED (failures=1)" in log.read_text()


REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements"


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        name, sep, version = line.split("#", 1)[0].strip().partition("==")
        if sep:
            pins[testing.normalize(name)] = version
    return pins


def test_minimal_requirements_are_pinned_as_in_tests_txt():
    minimal = _pins(REQUIREMENTS / "minimal.txt")
    assert set(minimal) == {"asgiref", "sqlparse"}
    full = _pins(REQUIREMENTS / "tests.txt")
    assert {name: full.get(name) for name in minimal} == minimal


def test_requirement_names(tmp_path):
    path = tmp_path / "reqs.txt"
    path.write_text(
        "# comment\n\npsycopg[binary]==3.3.9\ntyping_extensions==4.16.0  # why\n"
        "Jinja2>=3\n"
    )
    assert testing.requirement_names(path) == {"psycopg", "typing-extensions", "jinja2"}


def _fake_distributions(monkeypatch, names):
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append(cmd)
        return subprocess.CompletedProcess(cmd, 0, "\n".join(names) + "\n", "")

    monkeypatch.setattr(testing.subprocess, "run", fake_run)
    return calls


def test_minimal_venv_may_hold_django_its_requirements_and_pip(tmp_path, monkeypatch):
    reqs = tmp_path / "minimal.txt"
    reqs.write_text("asgiref==3.13.0\nsqlparse==0.6.1\n")
    names = ["Django", "asgiref", "sqlparse", "pip", "setuptools", "wheel", "packaging"]
    calls = _fake_distributions(monkeypatch, names)
    python = tmp_path / "venv" / "bin" / "python"
    testing.check_only_required(python, [reqs])
    assert calls == [[str(python), "-I", "-c", testing.LIST_DISTRIBUTIONS]]


def test_minimal_venv_refuses_optional_packages(tmp_path, monkeypatch):
    reqs = tmp_path / "minimal.txt"
    reqs.write_text("asgiref==3.13.0\nsqlparse==0.6.1\n")
    _fake_distributions(
        monkeypatch, ["Django", "asgiref", "sqlparse", "Pillow", "numpy"]
    )
    python = tmp_path / "venv" / "bin" / "python"
    with pytest.raises(
        ForkError, match=r"venv must hold only .* also has numpy, pillow"
    ):
        testing.check_only_required(python, [reqs])


def test_list_distributions_runs_in_a_real_interpreter():
    # The program the check runs: here, the test interpreter has pytest.
    proc = subprocess.run(
        [sys.executable, "-I", "-c", testing.LIST_DISTRIBUTIONS],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "pytest" in {testing.normalize(n) for n in proc.stdout.split()}


@pytest.mark.parametrize(
    "database, driver, suffix, reqs, log",
    [
        ("sqlite", None, "-minimal", ["minimal.txt"], "test-sqlite-minimal.log"),
        (
            "postgresql",
            "psycopg",
            "-psycopg-minimal",
            ["minimal.txt", "postgresql-psycopg.txt"],
            "test-postgresql-psycopg-minimal.log",
        ),
    ],
)
def test_minimal_run_has_its_venv_and_log(
    repo, monkeypatch, database, driver, suffix, reqs, log
):
    tree = repo.build_dir / "tree"
    (tree / "tests").mkdir(parents=True)
    (tree / "tests" / "runtests.py").write_text("print('OK')\n")
    prepared, checked = [], []

    def fake_prepare(repo, python, requirements, hint, venv_suffix):
        prepared.append(([r.name for r in requirements], venv_suffix))
        return Path(sys.executable), tree

    monkeypatch.setattr(testing, "prepare", fake_prepare)
    monkeypatch.setattr(
        testing, "check_only_required", lambda python, r: checked.append(python)
    )
    monkeypatch.setattr(databases, "check_listening", lambda db: None)
    monkeypatch.setattr(databases, "check_login", lambda *args: None)
    code = testing.run_suite(
        repo, ["basic"], database=database, driver=driver, minimal=True
    )
    assert code == 0
    assert prepared == [(reqs, suffix)]
    assert checked == [Path(sys.executable)]
    assert (repo.build_dir / log).read_text() == "OK\n"


def test_full_run_does_not_check_for_optional_packages(repo, monkeypatch):
    tree = repo.build_dir / "tree"
    (tree / "tests").mkdir(parents=True)
    (tree / "tests" / "runtests.py").write_text("print('OK')\n")
    monkeypatch.setattr(testing, "prepare", lambda *args: (Path(sys.executable), tree))

    def refuse(python, requirements):
        raise AssertionError("checked a full venv")

    monkeypatch.setattr(testing, "check_only_required", refuse)
    assert testing.run_suite(repo, ["basic"]) == 0
    assert (repo.build_dir / "test-sqlite.log").exists()


def test_cli_passes_minimal_on(monkeypatch):
    seen = {}

    def fake_run_suite(repo, args, **kwargs):
        seen.update(kwargs, args=args)
        return 0

    monkeypatch.setattr(testing, "run_suite", fake_run_suite)
    monkeypatch.setattr(cli, "find_repo", lambda: None)
    assert cli.main(["test", "--minimal", "validators", "--parallel", "2"]) == 0
    assert seen["minimal"] is True
    assert seen["args"] == ["validators", "--parallel", "2"]
    assert cli.main(["test", "basic"]) == 0
    assert seen["minimal"] is False
