"""The database servers Django's suite can run against, and how to reach them.

Each entry names the settings module (an overlay file in tests/), the drivers
the backend can use (the first is the default; `--driver` picks another), the
environment variables the settings read, and what to tell the user when the
server does not answer or the driver does not build. A driver names its pinned
requirements, its venv and its known-failures list.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from forktool.errors import ForkError

# Connects with the chosen driver (argv[3], its module), as the settings module
# configures it, to the server's maintenance database; prints the driver's
# error on one line. psycopg2 and psycopg 3 take the same keyword arguments.
# Runs in the test venv with tests/ as the working directory.
PROBE = """\
import importlib, sys
db = importlib.import_module(sys.argv[1]).DATABASES["default"]
try:
    driver = importlib.import_module(sys.argv[3])
    if sys.argv[2] == "postgresql":
        driver.connect(
            host=db["HOST"], port=db["PORT"], user=db["USER"],
            password=db["PASSWORD"], dbname="postgres", connect_timeout=5,
        ).close()
    else:
        conn = driver.connect(
            host=db["HOST"], port=int(db["PORT"]), user=db["USER"],
            password=db["PASSWORD"], connect_timeout=5,
        )
        cursor = conn.cursor()
        cursor.execute("SELECT COUNT(*) FROM mysql.time_zone_name")
        if not cursor.fetchone()[0]:
            print("WARNING: the server has no time zone definitions, so time "
                  "zone conversions return NULL and some tests fail. Load "
                  "them, as root, with: mariadb-tzinfo-to-sql "
                  "/usr/share/zoneinfo | mariadb -u root mysql")
        conn.close()
except Exception as exc:
    print(" ".join(str(exc).split()) or type(exc).__name__)
    sys.exit(3)
"""


# Exits non-zero if the module named in argv[1] can be imported.
FIND_SPEC = (
    "import importlib.util, sys; sys.exit(importlib.util.find_spec(sys.argv[1]) "
    "is not None)"
)


@dataclass(frozen=True)
class Driver:
    name: str  # the --driver value
    module: str  # what the login probe imports
    requirements: str | None  # requirements/<file>, the pinned driver
    stem: str  # known-failures/<stem>.txt and build/test-<stem>.log
    # build/venv-pyX.Y<venv_suffix>. The PostgreSQL backend uses psycopg 3
    # whenever it can import it, so psycopg 3 gets a venv of its own and the
    # shared venv never receives it.
    venv_suffix: str = ""
    # A module that must not be importable in this driver's venv, because
    # Django's backend would take it instead (psycopg 3 over psycopg2).
    shadowed_by: str = ""


@dataclass(frozen=True)
class Database:
    name: str  # the --database value
    label: str
    settings: str | None  # tests/<settings>.py; None: runtests' default
    drivers: tuple[Driver, ...]  # the first is the default
    host_var: str = ""
    port_var: str = ""
    user_vars: str = ""
    default_port: int = 0
    # The command that starts the server, asked for only when it is down.
    start_command: Callable[[], str] = str
    build_hint: str = ""

    def address(self) -> tuple[str, int]:
        host = os.environ.get(self.host_var, "127.0.0.1")
        return host, int(os.environ.get(self.port_var, self.default_port))

    def driver(self, name: str | None = None) -> Driver:
        """The driver --driver names, or the default when it names none."""
        if name is None:
            return self.drivers[0]
        if len(self.drivers) == 1:
            choosers = [db.name for db in DATABASES.values() if len(db.drivers) > 1]
            raise ForkError(
                f"--driver is for --database {' or '.join(choosers)} only "
                f"({self.name} always uses {self.drivers[0].name})"
            )
        for driver in self.drivers:
            if driver.name == name:
                return driver
        choices = ", ".join(d.name for d in self.drivers)
        raise ForkError(
            f"unknown driver {name!r} for {self.name} (choose from {choices})"
        )


def _postgresql_start() -> str:
    """The start command for the PostgreSQL cluster that Debian's packages made."""
    versions = sorted(
        (p.name for p in Path("/etc/postgresql").glob("*") if p.name.isdigit()),
        key=int,
    )
    version = versions[-1] if versions else "<version>"
    return f"pg_ctlcluster --skip-systemctl-redirect {version} main start"


DATABASES = {
    "sqlite": Database(
        "sqlite", "SQLite", None, (Driver("sqlite3", "sqlite3", None, "sqlite"),)
    ),
    "postgresql": Database(
        "postgresql",
        "PostgreSQL",
        "test_postgresql",
        (
            Driver(
                "psycopg2",
                "psycopg2",
                "postgresql.txt",
                "postgresql-psycopg2",
                shadowed_by="psycopg",
            ),
            Driver(
                "psycopg",
                "psycopg",
                "postgresql-psycopg.txt",
                "postgresql-psycopg",
                venv_suffix="-psycopg",
            ),
        ),
        host_var="POSTGRES_HOST",
        port_var="POSTGRES_PORT",
        user_vars="POSTGRES_USER/POSTGRES_PASSWORD",
        default_port=5432,
        start_command=_postgresql_start,
    ),
    "mysql": Database(
        "mysql",
        "MariaDB/MySQL",
        "test_mysql",
        (Driver("mysqlclient", "MySQLdb", "mysql.txt", "mysql"),),
        host_var="MYSQL_HOST",
        port_var="MYSQL_PORT",
        user_vars="MYSQL_USER/MYSQL_PASSWORD",
        default_port=3306,
        start_command=lambda: (
            "start-stop-daemon --start --oknodo --background "
            "--exec /usr/sbin/mariadbd"
        ),
        build_hint=(
            "mysqlclient compiles against the MariaDB client library: "
            "install it first (Debian: apt-get install libmariadb-dev pkg-config)"
        ),
    ),
}


# Native asynchronous execution (OPTIONS["async_pool"]) runs on PostgreSQL with
# psycopg 3, in that driver's venv plus the pool and greenlet, with settings
# and a known-failures list of its own.
NATIVE_REQUIREMENTS = "postgresql-native.txt"
NATIVE_SETTINGS = "test_postgresql_native"


def native(db: Database, driver: Driver) -> tuple[Driver, str]:
    """The driver (its known-failures list and log) and settings of a --native run."""
    if db.name != "postgresql" or driver.name != "psycopg":
        raise ForkError(
            "--native is for --database postgresql --driver psycopg only "
            "(native asynchronous execution needs psycopg 3)"
        )
    return replace(driver, stem=driver.stem + "-native"), NATIVE_SETTINGS


# The native path through PgBouncer in transaction pooling mode (.ci/pgbouncer):
# tests/test_postgresql_pgbouncer.py says why the test databases are made on
# the server directly and the suite runs with --keepdb --parallel 1.
PGBOUNCER_SETTINGS = "test_postgresql_pgbouncer"
PGBOUNCER_HOST_VAR = "PGBOUNCER_HOST"
PGBOUNCER_PORT_VAR = "PGBOUNCER_PORT"
PGBOUNCER_DEFAULT_PORT = 6432
PGBOUNCER_START = ".ci/pgbouncer start"

# Drops the test databases the settings module (argv[1]) names, and with argv[2]
# "create" makes them again, empty, on its TEST_SERVER: the PostgreSQL server,
# not PgBouncer. FORCE ends PgBouncer's idle sessions on them. Prints the
# driver's error on one line. Runs in the test venv with tests/ as the
# working directory.
TEST_DATABASES = """\
import importlib, sys
import psycopg
from psycopg import sql
settings = importlib.import_module(sys.argv[1])
server = settings.TEST_SERVER
names = [
    (db.get("TEST") or {}).get("NAME") or "test_" + db["NAME"]
    for db in settings.DATABASES.values()
]
try:
    with psycopg.connect(
        host=server["HOST"], port=server["PORT"], user=server["USER"],
        password=server["PASSWORD"], dbname="postgres", autocommit=True,
        connect_timeout=5,
    ) as conn:
        for name in names:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            if sys.argv[2] == "create":
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
except Exception as exc:
    print(" ".join(str(exc).split()) or type(exc).__name__)
    sys.exit(3)
"""


def pgbouncer(db: Database, driver: Driver, native: bool) -> tuple[Driver, str]:
    """The driver (its known-failures list and log) and settings with --pgbouncer."""
    if db.name != "postgresql" or driver.name != "psycopg" or not native:
        raise ForkError(
            "--pgbouncer is for --database postgresql --driver psycopg --native "
            "only (it tests native asynchronous execution through PgBouncer)"
        )
    return replace(driver, stem=driver.stem + "-pgbouncer"), PGBOUNCER_SETTINGS


def pgbouncer_args(args: list[str]) -> list[str]:
    """runtests.py's arguments for a --pgbouncer run: --keepdb, --parallel 1."""
    parallel = False
    for i, arg in enumerate(args):
        name, sep, value = arg.partition("=")
        if name != "--parallel":
            continue
        parallel = True
        if not sep:  # "--parallel N", or a bare "--parallel": one per core
            value = args[i + 1] if i + 1 < len(args) else ""
        if value != "1":
            raise ForkError(
                "--pgbouncer runs with --parallel 1: PostgreSQL can't copy the "
                "test database for the workers while PgBouncer is connected to it"
            )
    extra = [] if parallel else ["--parallel", "1"]
    if "--keepdb" not in args:
        extra.append("--keepdb")
    return [*args, *extra]


def check_pgbouncer_listening(timeout: float = 3.0) -> None:
    """Fail early when nothing listens where the settings look for PgBouncer."""
    host = os.environ.get(PGBOUNCER_HOST_VAR, "127.0.0.1")
    port = int(os.environ.get(PGBOUNCER_PORT_VAR, PGBOUNCER_DEFAULT_PORT))
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ForkError(
            f"PgBouncer at {host}:{port} does not answer "
            f"({exc.strerror or exc}).\n"
            f"Start it with: {PGBOUNCER_START}\n"
            f"(or point {PGBOUNCER_HOST_VAR}/{PGBOUNCER_PORT_VAR} at a running one)"
        ) from None


def pgbouncer_test_databases(
    python: Path, tests_dir: Path, settings: str, action: str
) -> None:
    """Create ("create") or drop ("drop") the test databases on the server itself."""
    proc = subprocess.run(
        [str(python), "-c", TEST_DATABASES, settings, action],
        cwd=tests_dir, capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        lines = (proc.stdout or proc.stderr).strip().splitlines()
        raise ForkError(
            f"could not {action} the test databases of tests/{settings}.py on "
            f"the server: {lines[-1] if lines else 'no answer'}"
        )


def get(name: str) -> Database:
    try:
        return DATABASES[name]
    except KeyError:
        choices = ", ".join(DATABASES)
        raise ForkError(f"unknown database {name!r} (choose from {choices})")


def _down(db: Database, host: str, port: int, why: str) -> ForkError:
    return ForkError(
        f"the {db.label} server at {host}:{port} does not answer ({why}).\n"
        f"Start it, as root, with: {db.start_command()}\n"
        f"(or point {db.host_var}/{db.port_var} at a running server)"
    )


def check_listening(db: Database, timeout: float = 3.0) -> None:
    """Fail early, before any build, when nothing listens on the server's port."""
    if db.settings is None:
        return
    host, port = db.address()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise _down(db, host, port, exc.strerror or str(exc)) from None


def check_not_shadowed(driver: Driver, python: Path) -> None:
    """Refuse a venv where Django would load another driver than the chosen one."""
    if not driver.shadowed_by:
        return
    # Run from the venv's folder, so that only installed modules are found.
    proc = subprocess.run(
        [str(python), "-c", FIND_SPEC, driver.shadowed_by],
        cwd=Path(python).parent, capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        raise ForkError(
            f"{driver.shadowed_by} is installed beside {driver.name} for "
            f"{python}, and Django's backend would use it instead: uninstall "
            f"it there, or delete that venv to have it rebuilt"
        )


def check_login(db: Database, driver: Driver, python: Path, tests_dir: Path) -> None:
    """Log in with the venv's driver and the settings module's credentials."""
    if db.settings is None:
        return
    check_not_shadowed(driver, python)
    proc = subprocess.run(
        [str(python), "-c", PROBE, db.settings, db.name, driver.module],
        cwd=tests_dir, capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode != 0:
        host, port = db.address()
        lines = (proc.stdout or proc.stderr).strip().splitlines()
        raise ForkError(
            f"could not log in to the {db.label} server at {host}:{port} "
            f"with {driver.name}: "
            f"{lines[-1] if lines else 'no answer'}\n"
            f"Check the credentials in {db.user_vars} (see tests/{db.settings}.py)"
        )
    for line in proc.stdout.splitlines():
        print(f"forktool: {line}", file=sys.stderr)
