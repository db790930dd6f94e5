"""A short tour of the fork's asynchronous ORM interface.

Run it after `pip install .`: python examples/async_orm.py

It uses a new SQLite file. With --postgresql it uses the PostgreSQL database
named by POSTGRES_DB (default "asyncorm_example", which must exist), on
POSTGRES_HOST/POSTGRES_PORT as POSTGRES_USER, with whichever driver is
installed (psycopg 3 or psycopg2). With --postgresql --native it turns native
asynchronous execution on (OPTIONS["async_pool"]; psycopg 3 and the
async-pool extra: pip install -r requirements/postgresql-psycopg.txt -r
requirements/postgresql-native.txt) and shows two queries running at once.
"""

import asyncio
import importlib.util
import os
import sys
import tempfile
import time

import django
from django.conf import settings

NATIVE = "--native" in sys.argv[1:]
if NATIVE and "--postgresql" not in sys.argv[1:]:
    sys.exit("example: --native runs on PostgreSQL only; add --postgresql")

if "--postgresql" in sys.argv[1:]:
    if not any(importlib.util.find_spec(m) for m in ("psycopg", "psycopg2")):
        sys.exit(
            "example: --postgresql needs a driver, psycopg 3 or psycopg2; install "
            "one with: pip install -r requirements/postgresql-psycopg.txt"
        )
    DATABASE = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("POSTGRES_DB", "asyncorm_example"),
        "HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        "USER": os.environ.get("POSTGRES_USER", "postgres"),
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
    }
    if NATIVE:
        missing = [
            m for m in ("psycopg", "psycopg_pool", "greenlet")
            if not importlib.util.find_spec(m)
        ]  # fmt: skip
        if missing:
            sys.exit(
                f"example: --native needs {', '.join(missing)}; install them with: "
                "pip install -r requirements/postgresql-psycopg.txt "
                "-r requirements/postgresql-native.txt"
            )
        DATABASE["OPTIONS"] = {"async_pool": {"min_size": 1, "max_size": 4}}
else:
    DATABASE = {
        "ENGINE": "django.db.backends.sqlite3",
        # A file, not ":memory:": the async methods run their queries on a
        # worker thread, and each thread has its own in-memory database.
        "NAME": os.path.join(tempfile.mkdtemp(), "tour.sqlite3"),
    }

settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
    DATABASES={"default": DATABASE},
    USE_TZ=True,
)
django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection  # noqa: E402
from django.db.models.expressions import RawSQL  # noqa: E402


def connect_or_explain():
    """Connect, or exit with one line saying what is missing and how to fix it."""
    try:
        connection.ensure_connection()
    except OperationalError as exc:
        where = f"{DATABASE['HOST']}:{DATABASE['PORT']} as {DATABASE['USER']}"
        name = DATABASE["NAME"]
        if f'database "{name}" does not exist' in str(exc):
            sys.exit(
                f'example: PostgreSQL at {where} has no database "{name}"; create '
                f"it with: createdb -h {DATABASE['HOST']} -p {DATABASE['PORT']} "
                f"-U {DATABASE['USER']} {name} (or name another in POSTGRES_DB)"
            )
        reason = " ".join(str(exc).split())
        sys.exit(f"example: cannot connect to PostgreSQL at {where}: {reason}")


async def tour():
    # A server database outlives the run: start from the same state each time.
    await User.objects.filter(username__in=["ada", "grace"]).adelete()
    await Group.objects.filter(name="analysts").adelete()
    ada = await User.objects.acreate(username="ada", first_name="Ada")
    await User.objects.acreate(username="grace", first_name="Grace")
    # A related manager creates the group and links it to the user.
    await ada.groups.acreate(name="analysts")

    user = await User.objects.aget(username="ada")
    print("aget:", user.first_name)
    print("acount:", await User.objects.acount())
    names = [u.username async for u in User.objects.order_by("username")]
    print("async for:", ", ".join(names))
    print("groups of ada:", [g.name async for g in user.groups.all()])
    if NATIVE:
        # Two queries that each spend 0.2 s in the server, gathered: on the
        # native path they run at once, each on a pooled connection.
        slow = User.objects.filter(username="ada").annotate(
            pid=RawSQL("pg_backend_pid()", []), nap=RawSQL("pg_sleep(0.2)::text", [])
        )
        started = time.perf_counter()
        rows = await asyncio.gather(
            *(slow.values_list("pid", "nap").aget() for _ in "ab")
        )
        elapsed = time.perf_counter() - started
        print(
            f"native: 2 gathered queries of 0.2 s took {elapsed:.2f} s "
            f"on {len({pid for pid, _ in rows})} connections"
        )


if __name__ == "__main__":
    if DATABASE["ENGINE"].endswith("postgresql"):
        connect_or_explain()
    call_command("migrate", verbosity=0)
    print("Django", django.get_version())
    if connection.vendor == "postgresql":
        print("PostgreSQL driver:", connection.Database.__name__)
    asyncio.run(tour())
