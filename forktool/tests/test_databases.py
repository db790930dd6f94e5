import socket
import sys

import pytest

from forktool import databases
from forktool.errors import ForkError


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
    assert db.settings is None and db.requirements is None


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


def test_login_failure_reports_the_drivers_message(tmp_path, monkeypatch):
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
    with pytest.raises(ForkError, match='role "u" does not exist'):
        databases.check_login(db, sys.executable, tmp_path)


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
    databases.check_login(databases.get("mysql"), sys.executable, tmp_path)
    assert capsys.readouterr().err == ""


def test_mysql_without_time_zone_tables_warns(tmp_path, capsys):
    _fake_mysql(tmp_path, zones=0)
    databases.check_login(databases.get("mysql"), sys.executable, tmp_path)
    assert "no time zone definitions" in capsys.readouterr().err
