import socket
import sys
from pathlib import Path

import pytest

from forktool import databases
from forktool.cli import main
from forktool.errors import ForkError

REQUIREMENTS = Path(__file__).resolve().parents[2] / "requirements"


def _closed_port() -> int:
    """A local port that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unknown_database_names_the_choices():
    with pytest.raises(ForkError, match="choose from sqlite, postgresql, mysql"):
        databases.get("oracle")


def test_sqlite_needs_no_server():
    db = databases.get("sqlite")
    databases.check_listening(db)  # nothing to reach, nothing raised
    assert db.settings is None and db.driver().requirements is None


@pytest.mark.parametrize(
    "name, driver, stem, venv_suffix",
    [
        ("sqlite", None, "sqlite", ""),
        ("mysql", None, "mysql", ""),
        ("postgresql", None, "postgresql-psycopg2", ""),
        ("postgresql", "psycopg2", "postgresql-psycopg2", ""),
        ("postgresql", "psycopg", "postgresql-psycopg", "-psycopg"),
    ],
)
def test_each_driver_has_its_list_and_venv(name, driver, stem, venv_suffix):
    chosen = databases.get(name).driver(driver)
    assert (chosen.stem, chosen.venv_suffix) == (stem, venv_suffix)
    known = REQUIREMENTS.parent / "known-failures" / f"{stem}.txt"
    assert known.is_file()


def _pins(name: str) -> set[str]:
    lines = (REQUIREMENTS / name).read_text().splitlines()
    return {line.split("==")[0].lower() for line in lines if "==" in line}


def test_the_psycopg_venv_never_gets_psycopg2():
    # The venv for psycopg 3 holds tests.txt plus the driver's own file; the
    # shared venv must not get psycopg 3 either, or the backend would use it.
    psycopg = databases.get("postgresql").driver("psycopg")
    assert not {"psycopg2", "psycopg2-binary"} & (
        _pins("tests.txt") | _pins(psycopg.requirements)
    )
    assert "psycopg" in _pins(psycopg.requirements)
    assert "psycopg" not in _pins("tests.txt")


@pytest.mark.parametrize("name", ["sqlite", "mysql"])
def test_driver_is_for_postgresql_only(name, capsys):
    with pytest.raises(ForkError, match="--driver is for --database postgresql"):
        databases.get(name).driver("psycopg")
    # The command line says so on one line, before building anything.
    assert main(["test", "--database", name, "--driver", "psycopg", "basic"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("forktool: error: --driver is for --database postgresql")
    assert err.count("\n") == 1


def test_unknown_driver_names_the_choices():
    with pytest.raises(
        ForkError, match="unknown driver 'pg8000' for postgresql "
        r"\(choose from psycopg2, psycopg\)",
    ):  # fmt: skip
        databases.get("postgresql").driver("pg8000")


@pytest.mark.parametrize(
    "name, start",
    [
        ("postgresql", "pg_ctlcluster --skip-systemctl-redirect"),
        ("mysql", "start-stop-daemon --start"),
    ],
)
def test_a_server_that_is_down_gives_one_clear_error(monkeypatch, name, start):
    db = databases.get(name)
    port = _closed_port()
    monkeypatch.setenv(db.host_var, "127.0.0.1")
    monkeypatch.setenv(db.port_var, str(port))
    with pytest.raises(ForkError) as info:
        databases.check_listening(db)
    message = str(info.value)
    assert f"the {db.label} server at 127.0.0.1:{port} does not answer" in message
    assert start in message
    assert "Traceback" not in message


@pytest.fixture
def unshadowed(monkeypatch):
    """Whether this interpreter also has psycopg 3 is not what these test."""
    monkeypatch.setattr(databases, "check_not_shadowed", lambda driver, python: None)


def test_login_failure_reports_the_drivers_message(tmp_path, monkeypatch, unshadowed):
    # A settings module whose driver import fails stands in for a refused login:
    # the probe prints the driver's one-line error and exits non-zero.
    (tmp_path / "test_postgresql.py").write_text(
        "DATABASES = {'default': {'HOST': 'h', 'PORT': '1', 'USER': 'u',"
        " 'PASSWORD': ''}}\n"
    )
    (tmp_path / "psycopg2.py").write_text(
        "def connect(**kwargs):\n"
        "    raise RuntimeError('FATAL:  role \"u\" does not exist')\n"
    )
    monkeypatch.setenv("POSTGRES_PORT", "1")
    db = databases.get("postgresql")
    with pytest.raises(ForkError, match='with psycopg2: FATAL: role "u" does not'):
        databases.check_login(db, db.driver(), sys.executable, tmp_path)


@pytest.mark.parametrize(
    "chosen, other", [("psycopg2", "psycopg"), ("psycopg", "psycopg2")]
)
def test_the_probe_logs_in_with_the_chosen_driver(tmp_path, chosen, other, unshadowed):
    (tmp_path / "test_postgresql.py").write_text(
        "DATABASES = {'default': {'HOST': 'h', 'PORT': '1', 'USER': 'u',"
        " 'PASSWORD': 'p'}}\n"
    )
    # The chosen driver's stand-in refuses, naming itself and what it was
    # given; the other one's would let the probe pass.
    (tmp_path / f"{chosen}.py").write_text(
        "def connect(**kwargs):\n"
        f"    raise RuntimeError('{chosen} got ' + repr(sorted(kwargs.items())))\n"
    )
    (tmp_path / f"{other}.py").write_text(
        "class C:\n    def close(self):\n        pass\n"
        "def connect(**kwargs):\n    return C()\n"
    )
    db = databases.get("postgresql")
    with pytest.raises(ForkError) as info:
        databases.check_login(db, db.driver(chosen), sys.executable, tmp_path)
    assert f"with {chosen}: {chosen} got " in str(info.value)
    assert (
        "[('connect_timeout', 5), ('dbname', 'postgres'), ('host', 'h'), "
        "('password', 'p'), ('port', '1'), ('user', 'u')]"
    ) in str(info.value)


def _fake_mysql(folder, zones: int) -> None:
    """Settings plus a MySQLdb stand-in whose server has ``zones`` time zones."""
    (folder / "test_mysql.py").write_text(
        "DATABASES = {'default': {'HOST': 'h', 'PORT': '1', 'USER': 'u',"
        " 'PASSWORD': ''}}\n"
    )
    (folder / "MySQLdb.py").write_text(
        "class C:\n"
        "    def cursor(self):\n        return self\n"
        "    def execute(self, sql):\n        pass\n"
        f"    def fetchone(self):\n        return ({zones},)\n"
        "    def close(self):\n        pass\n"
        "def connect(**kwargs):\n    return C()\n"
    )


def test_login_succeeds_quietly(tmp_path, capsys):
    _fake_mysql(tmp_path, zones=1800)
    db = databases.get("mysql")
    databases.check_login(db, db.driver(), sys.executable, tmp_path)
    assert capsys.readouterr().err == ""


def test_mysql_without_time_zone_tables_warns(tmp_path, capsys):
    _fake_mysql(tmp_path, zones=0)
    db = databases.get("mysql")
    databases.check_login(db, db.driver(), sys.executable, tmp_path)
    assert "no time zone definitions" in capsys.readouterr().err


def test_a_driver_shadowed_in_its_venv_is_refused():
    # json stands in for psycopg 3 found in psycopg2's venv.
    driver = databases.Driver("psycopg2", "psycopg2", None, "x", shadowed_by="json")
    with pytest.raises(ForkError, match="json is installed beside psycopg2"):
        databases.check_not_shadowed(driver, Path(sys.executable))


def test_psycopg2_is_shadowed_by_psycopg_3_only():
    db = databases.get("postgresql")
    assert db.driver("psycopg2").shadowed_by == "psycopg"
    assert db.driver("psycopg").shadowed_by == ""
    databases.check_not_shadowed(
        databases.Driver("x", "x", None, "x", shadowed_by="no_such_module_here"),
        Path(sys.executable),
    )
