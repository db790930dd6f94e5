"""Runs one contender inside its venv: python worker.py JOB.json.

The driver writes the job (action, contender's runner, database, sizes) and
reads back the JSON this script writes to the job's "out" path: the figures
and what produced them, or, when the job fails, the error in one line and its
traceback. It runs as a script, so that its folder, not the repository root
(whose django/ folder is the overlay, not a package), is first on sys.path.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable


def database_settings(job: dict[str, Any]) -> dict[str, Any]:
    """The default database, with the contender's own settings laid over it."""
    if job["database"] == "sqlite":
        base = {"ENGINE": "django.db.backends.sqlite3", "NAME": job["sqlite_path"]}
    else:
        from runners import conninfo

        info = conninfo()
        base = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": info["dbname"],
            "HOST": info["host"],
            "PORT": str(info["port"]),
            "USER": info["user"],
            "PASSWORD": info["password"],
        }
    return {**base, **job.get("database_settings", {})}


# Where a sample's CPU time goes: contenders.CPU_SUFFIX (a test checks that
# they agree; this script imports nothing from the driver's package).
CPU_SUFFIX = "-cpu"
# The whole-app site's sessions are signed with this key (webapp.py has it
# too): the setup job makes them, the server reads them.
SECRET_KEY = "benchmarks-only"
# What the whole-app scenario's "sessions" profile needs: setup migrates them.
AUTH_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
]
# The user every client of the "sessions" profile is logged in as.
USERNAME = "bench"


def configure(job: dict[str, Any], apps: list[str] | None = None) -> None:
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY=SECRET_KEY,
        INSTALLED_APPS=[*job.get("apps", []), *(apps or []), "benchapp"],
        DATABASES={"default": database_settings(job)},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        USE_TZ=True,
    )
    django.setup()


def log_in_clients(count: int) -> list[str]:
    """A user, and `count` database sessions logged in as it: their keys.

    Each client of the whole-app scenario's "sessions" profile sends one, so
    each request loads its own session row and then the user.
    """
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
    from django.contrib.auth import SESSION_KEY as USER_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session

    user = User.objects.filter(username=USERNAME).first()
    if user is None:
        user = User.objects.create_user(USERNAME, password=None)
    Session.objects.all().delete()
    keys = []
    for _ in range(count):
        session = SessionStore()
        session[USER_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys


def create_database() -> None:
    """Create the PostgreSQL benchmark database unless it exists."""
    import psycopg2
    from runners import conninfo

    info = conninfo()
    name = info.pop("dbname")
    conn = psycopg2.connect(dbname="postgres", **info)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if cursor.fetchone() is None:
            cursor.execute('CREATE DATABASE "%s"' % name.replace('"', '""'))
    conn.close()


def setup(job: dict[str, Any]) -> dict[str, Any]:
    """(Re)create the tables and fill them; runs in the fork's venv."""
    if job["database"] == "sqlite":
        if os.path.exists(job["sqlite_path"]):
            os.remove(job["sqlite_path"])
    else:
        create_database()
    postgresql = job["database"] == "postgresql"
    # The whole app runs on PostgreSQL only: there, the tables of its
    # sessions profile too.
    configure(job, AUTH_APPS if postgresql else None)
    from benchapp.models import MODELS, Account, Counter, Item, Row

    from django.db import connection

    sizes = job["sizes"]
    with connection.cursor() as cursor:
        for model in MODELS:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
    with connection.schema_editor() as editor:
        for model in MODELS:
            editor.create_model(model)
    Counter.objects.create(pk=1, value=0)
    # One account per task of the widest level, so that no two transactions
    # in flight need the same row lock (unless a case wants them to).
    Account.objects.bulk_create(
        Account(id=i, balance=0) for i in range(1, max(sizes["levels"]) + 1)
    )
    Item.objects.bulk_create(
        Item(id=i, name=f"item {i}", number=i)
        for i in range(1, sizes["table_rows"] + 1)
    )
    total, batch = sizes["memory_rows"], 10_000
    for first in range(0, total, batch):
        Row.objects.bulk_create(
            Row(name=f"row {i}", number=i)
            for i in range(first, min(first + batch, total))
        )
    if not postgresql:
        return {}
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    sessions = log_in_clients(sizes["app_clients"])
    with connection.cursor() as cursor:
        # The transaction scenario's commits would otherwise each wait for
        # the WAL to reach the disk: 1.5 to 4 ms on a disk shared with other
        # test suites, more than the ORM's whole transaction, and varying
        # with their load. An unlogged table writes no WAL, so its commits
        # wait for no flush, and the figures compare the ways of running
        # the transaction rather than the disk at the moment each ran.
        table = connection.ops.quote_name(Account._meta.db_table)
        cursor.execute(f"ALTER TABLE {table} SET UNLOGGED")
        cursor.execute("ANALYZE")
        cursor.execute("SHOW server_version")
        server = f"PostgreSQL {cursor.fetchone()[0]}"
    return {"server": server, "sessions": sessions}


def serve_app(job: dict[str, Any]) -> tuple[dict[str, list], dict[str, Any]]:
    """The whole-app scenario: the site under uvicorn, with this job's database
    and the job's configuration (profile, workers, the sessions' keys)."""
    import loadgen
    from benchapp.models import Counter

    def counter() -> int:
        from django.db import connection

        try:
            return Counter.objects.get(pk=loadgen.COUNTER_PK).value
        finally:
            connection.close()  # it was opened in a thread of its own

    app = job["app"]
    name = f"app-{job['contender']}-{app['profile']}-{app['workers']}.log"
    log = Path(job["out"]).parent / name
    databases = {"default": database_settings(job)}
    return loadgen.run(job["sizes"], databases, counter, log, app)


def record(
    figures: dict[str, dict[str, list]], scenario: str, case: str, sample: Any
) -> None:
    """Add a sample: a timing goes in as wall time, and CPU time under the
    scenario's CPU name; a memory figure as it is."""
    if isinstance(sample, (tuple, list)):
        wall, cpu = sample
        figures.setdefault(scenario, {}).setdefault(case, []).append(wall)
        cpu_figures = figures.setdefault(scenario + CPU_SUFFIX, {})
        cpu_figures.setdefault(case, []).append(cpu)
    else:
        figures.setdefault(scenario, {}).setdefault(case, []).append(sample)


def run(job: dict[str, Any]) -> dict[str, Any]:
    from runners import RUNNERS, Skipped

    cls = RUNNERS[job["runner"]]
    if cls.uses_django:
        configure(job)
    sizes = job["sizes"]
    runner = cls(sizes, job.get("database_settings"))
    figures: dict[str, dict[str, list]] = {}
    native: dict[str, Any] = {}
    app: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    try:
        runner.warm()
        for scenario in job["scenarios"]:
            if scenario == "app":
                # The server opens connections of its own: a native one, a
                # pool as wide as its clients, which with what this process
                # holds would pass PostgreSQL's default max_connections (100).
                runner.release()
                figures[scenario], app = serve_app(job)
                native["app"] = app.get("probe")
                continue
            repeat = sizes["memory_repeat"] if scenario == "memory" else sizes["repeat"]
            try:
                cases = runner.cases(scenario)
            except Skipped as exc:
                skipped[scenario] = str(exc)
                continue
            # A case whose callable equals an earlier one's (the sync runner
            # has one query in flight at every level) reuses its samples.
            taken: list[tuple[Callable[[], Any], list]] = []
            for case, sample in cases.items():
                samples = next((s for f, s in taken if f == sample), None)
                if samples is None:
                    if scenario != "memory":
                        sample()  # warm-up: connections, caches, compiled queries
                    samples = [sample() for _ in range(repeat)]
                    taken.append((sample, samples))
                for one in samples:
                    record(figures, scenario, case, one)
        if hasattr(runner, "native_report"):
            native["calls"] = runner.native_report()
        about, driver = runner.describe(), runner.driver()
    finally:
        runner.close()
    result = {"about": about, "driver": driver, "figures": figures}
    if native:
        result["native"] = native
    if app:
        result["app"] = app
    if skipped:
        result["skipped"] = skipped
    return result


def main() -> int:
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    try:
        result = setup(job) if job["action"] == "setup" else run(job)
    except Exception as exc:
        # The driver prints the one line; the traceback stays in the file.
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        result = {"error": error, "traceback": traceback.format_exc()}
    with open(job["out"], "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
