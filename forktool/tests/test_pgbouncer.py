"""forktool test --pgbouncer: the native path through PgBouncer."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from forktool import cli, databases, testing
from forktool.errors import ForkError

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(
    "name, driver, native",
    [
        ("sqlite", None, False),
        ("mysql", None, True),
        ("postgresql", "psycopg2", True),
        ("postgresql", "psycopg", False),
    ],
)
def test_pgbouncer_is_for_the_native_path_only(name, driver, native):
    db = databases.get(name)
    with pytest.raises(ForkError, match="--pgbouncer is for --database postgresql"):
        databases.pgbouncer(db, db.driver(driver), native)


def test_the_command_line_refuses_pgbouncer_without_native(capsys):
    argv = ["test", "--database", "postgresql", "--driver", "psycopg"]
    assert cli.main([*argv, "--pgbouncer", "basic"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("forktool: error: --pgbouncer is for --database postgresql")
    assert err.count("\n") == 1


def test_pgbouncer_has_its_list_and_settings():
    db = databases.get("postgresql")
    drv, settings = databases.pgbouncer(db, db.driver("psycopg"), native=True)
    assert drv.stem == "postgresql-psycopg-pgbouncer"
    assert drv.venv_suffix == "-psycopg"  # the native run's venv
    assert (ROOT / "known-failures" / f"{drv.stem}.txt").is_file()
    assert (ROOT / "tests" / f"{settings}.py").is_file()


@pytest.mark.parametrize(
    "given, wanted",
    [
        (["basic"], ["basic", "--parallel", "1", "--keepdb"]),
        (["--parallel", "1", "basic"], ["--parallel", "1", "basic", "--keepdb"]),
        (["--parallel=1", "--keepdb"], ["--parallel=1", "--keepdb"]),
    ],
)
def test_pgbouncer_runs_one_process_and_keeps_the_databases(given, wanted):
    assert databases.pgbouncer_args(given) == wanted


@pytest.mark.parametrize(
    "given", [["--parallel", "2"], ["--parallel=4", "basic"], ["--parallel", "basic"]]
)
def test_pgbouncer_refuses_parallel_workers(given):
    with pytest.raises(ForkError, match="--pgbouncer runs with --parallel 1"):
        databases.pgbouncer_args(given)


def test_pgbouncer_down_says_how_to_start_it(monkeypatch):
    port = _closed_port()
    monkeypatch.setenv("PGBOUNCER_HOST", "127.0.0.1")
    monkeypatch.setenv("PGBOUNCER_PORT", str(port))
    with pytest.raises(ForkError) as info:
        databases.check_pgbouncer_listening()
    message = str(info.value)
    assert f"PgBouncer at 127.0.0.1:{port} does not answer" in message
    assert "Start it with: .ci/pgbouncer start" in message


def _fake_psycopg(folder: Path, fail: str = "") -> Path:
    """A psycopg stand-in that logs what it is given to folder/calls.json."""
    log = folder / "calls.json"
    (folder / "psycopg").mkdir()
    (folder / "psycopg" / "sql.py").write_text(
        "class Identifier:\n"
        "    def __init__(self, name):\n        self.name = name\n"
        "class SQL:\n"
        "    def __init__(self, text):\n        self.text = text\n"
        "    def format(self, ident):\n"
        "        return self.text.replace('{}', '\"%s\"' % ident.name)\n"
    )
    (folder / "psycopg" / "__init__.py").write_text(
        "import json\n"
        f"LOG = {str(log)!r}\n"
        "calls = []\n"
        "class Conn:\n"
        "    def __enter__(self):\n        return self\n"
        "    def __exit__(self, *exc):\n"
        "        json.dump(calls, open(LOG, 'w'))\n"
        "    def execute(self, statement):\n        calls.append(statement)\n"
        "def connect(**kwargs):\n"
        f"    if {fail!r}:\n        raise RuntimeError({fail!r})\n"
        "    calls.append(sorted(kwargs.items()))\n"
        "    return Conn()\n"
    )
    (folder / "test_bouncer.py").write_text(
        "TEST_SERVER = {'HOST': 'server', 'PORT': '5432', 'USER': 'u', "
        "'PASSWORD': ''}\n"
        "DATABASES = {\n"
        "    'default': {'NAME': 'a', 'PORT': '6432', 'TEST': {'NAME': 'ta'}},\n"
        "    'other': {'NAME': 'b', 'PORT': '6432'},\n"
        "}\n"
    )
    return log


def test_the_test_databases_are_made_on_the_server(tmp_path):
    log = _fake_psycopg(tmp_path)
    databases.pgbouncer_test_databases(
        Path(sys.executable), tmp_path, "test_bouncer", "create"
    )
    connect, *statements = json.loads(log.read_text())
    # The server's address, not PgBouncer's, in autocommit (CREATE DATABASE
    # can't run in a transaction).
    assert ["port", "5432"] in connect and ["host", "server"] in connect
    assert ["dbname", "postgres"] in connect and ["autocommit", True] in connect
    assert statements == [
        'DROP DATABASE IF EXISTS "ta" WITH (FORCE)',
        'CREATE DATABASE "ta"',
        'DROP DATABASE IF EXISTS "test_b" WITH (FORCE)',
        'CREATE DATABASE "test_b"',
    ]


def test_the_test_databases_are_dropped_on_the_server(tmp_path):
    log = _fake_psycopg(tmp_path)
    databases.pgbouncer_test_databases(
        Path(sys.executable), tmp_path, "test_bouncer", "drop"
    )
    _, *statements = json.loads(log.read_text())
    assert statements == [
        'DROP DATABASE IF EXISTS "ta" WITH (FORCE)',
        'DROP DATABASE IF EXISTS "test_b" WITH (FORCE)',
    ]


def test_a_refused_connection_gives_the_drivers_message(tmp_path):
    _fake_psycopg(tmp_path, fail='FATAL:  database "postgres" does not exist')
    with pytest.raises(ForkError) as info:
        databases.pgbouncer_test_databases(
            Path(sys.executable), tmp_path, "test_bouncer", "create"
        )
    assert str(info.value) == (
        "could not create the test databases of tests/test_bouncer.py on the "
        'server: FATAL: database "postgres" does not exist'
    )


# Prints its arguments as the runner would print a passing test.
ARGV_RUNNER = """\
import sys
print("test_ok (app.tests.T.test_ok) ... ok")
print("ARGS " + " ".join(sys.argv[1:]))
print("OK")
"""


@pytest.fixture
def fake_run(repo, monkeypatch):
    tree = repo.build_dir / "tree"
    (tree / "tests").mkdir(parents=True)
    (tree / "tests" / "runtests.py").write_text(ARGV_RUNNER)
    events, prepared = [], []

    def fake_prepare(repo, python, requirements, hint, venv_suffix):
        prepared.append(([r.name for r in requirements], venv_suffix))
        return Path(sys.executable), tree

    monkeypatch.setattr(testing, "prepare", fake_prepare)
    monkeypatch.setattr(databases, "check_listening", lambda db: None)
    monkeypatch.setattr(databases, "check_login", lambda *args: None)
    monkeypatch.setattr(
        databases,
        "check_pgbouncer_listening",
        lambda: events.append("pgbouncer listening"),
    )
    monkeypatch.setattr(
        databases,
        "pgbouncer_test_databases",
        lambda python, tests, settings, action: events.append(f"{action} {settings}"),
    )
    return events, prepared


def test_a_pgbouncer_run_makes_its_databases_around_the_suite(repo, fake_run):
    events, prepared = fake_run
    code = testing.run_suite(
        repo,
        ["async_native"],
        database="postgresql",
        driver="psycopg",
        native=True,
        pgbouncer=True,
    )
    assert code == 0
    assert prepared == [
        (["tests.txt", "postgresql-psycopg.txt", "postgresql-native.txt"], "-psycopg")
    ]
    assert events == [
        "pgbouncer listening",
        "create test_postgresql_pgbouncer",
        "drop test_postgresql_pgbouncer",
    ]
    log = (repo.build_dir / "test-postgresql-psycopg-pgbouncer.log").read_text()
    assert (
        "ARGS --noinput --settings=test_postgresql_pgbouncer --verbosity=2 "
        "async_native --parallel 1 --keepdb"
    ) in log


def test_the_databases_are_dropped_when_the_run_is_interrupted(
    repo, fake_run, monkeypatch
):
    events, _ = fake_run

    def interrupted(*args):
        events.append("run")
        raise KeyboardInterrupt

    monkeypatch.setattr(testing, "_run", interrupted)
    with pytest.raises(KeyboardInterrupt):
        testing.run_suite(
            repo, [], database="postgresql", driver="psycopg", native=True,
            pgbouncer=True,
        )  # fmt: skip
    assert events[1:] == [
        "create test_postgresql_pgbouncer",
        "run",
        "drop test_postgresql_pgbouncer",
    ]


def test_a_native_run_without_pgbouncer_makes_no_databases(repo, fake_run):
    events, _ = fake_run
    testing.run_suite(
        repo, ["basic"], database="postgresql", driver="psycopg", native=True
    )
    assert events == []
    log = (repo.build_dir / "test-postgresql-psycopg-native.log").read_text()
    expected = "ARGS --noinput --settings=test_postgresql_native --verbosity=2 basic\n"
    assert expected in log


def test_cli_passes_pgbouncer_on(monkeypatch):
    seen = {}

    def fake_run_suite(repo, args, **kwargs):
        seen.update(kwargs, args=args)
        return 0

    monkeypatch.setattr(testing, "run_suite", fake_run_suite)
    monkeypatch.setattr(cli, "find_repo", lambda: None)
    argv = ["test", "--database", "postgresql", "--driver", "psycopg", "--native"]
    assert cli.main([*argv, "--pgbouncer", "async_native"]) == 0
    assert seen["pgbouncer"] is True and seen["native"] is True
    assert seen["args"] == ["async_native"]
    assert cli.main([*argv, "basic"]) == 0
    assert seen["pgbouncer"] is False


# Prints what the settings module sets, as JSON.
SHOW_SETTINGS = """\
import json, test_postgresql_pgbouncer as s
print(json.dumps({"DATABASES": s.DATABASES, "TEST_SERVER": s.TEST_SERVER}))
"""


@pytest.mark.parametrize("port", [None, "7432"])
def test_the_settings_go_through_pgbouncer_in_transaction_mode(port):
    env = {"PATH": "/usr/bin:/bin", "POSTGRES_DB": "adb"}
    if port:
        env["PGBOUNCER_PORT"] = port
    # python -c puts the working directory, tests/, on sys.path.
    proc = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=ROOT / "tests", env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    shown = json.loads(proc.stdout)
    assert shown["TEST_SERVER"]["PORT"] == "5432"
    for alias, name in [("default", "adb"), ("other", "adb_other")]:
        db = shown["DATABASES"][alias]
        assert (db["NAME"], db["PORT"]) == (name, port or "6432")
        assert db["DISABLE_SERVER_SIDE_CURSORS"] is True
        assert db["OPTIONS"]["prepare_threshold"] is None
        assert db["OPTIONS"]["async_pool"]
        assert db["TEST"] == {"NAME": f"test_{name}_pgbouncer"}
