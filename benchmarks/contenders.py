"""The registry of contenders: what is compared, and where each one runs.

A contender names a runner (a class in ``runners.py``, which the worker
instantiates inside the contender's venv) and an environment (which venv, so
which Django and which PostgreSQL driver). Adding a line here, and a runner if
none fits, adds a line to every table and to the chart: when the fork gains
native async execution, its contender is one more ``register`` call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# How the tables name a PostgreSQL driver module.
DRIVER_NAMES = {"psycopg2": "psycopg2", "psycopg": "psycopg 3", "asyncpg": "asyncpg"}

# Scenarios, in the order the driver runs them.
PERCALL = "percall"
CONCURRENCY = "concurrency"
TRANSACTION = "transaction"
MEMORY = "memory"
APP = "app"
SCENARIOS = (PERCALL, CONCURRENCY, TRANSACTION, MEMORY, APP)

DATABASES = ("sqlite", "postgresql")
# The concurrency scenario needs a query that waits on the server (pg_sleep),
# and a driver that can wait on several at once: PostgreSQL only. The
# whole-app and transaction scenarios compare the thread path with native
# execution, which only PostgreSQL on psycopg 3 has (and SQLite would take
# select_for_update() as a no-op and lock the whole database instead).
SCENARIO_DATABASES = {
    CONCURRENCY: ("postgresql",),
    TRANSACTION: ("postgresql",),
    APP: ("postgresql",),
}


@dataclass(frozen=True)
class Contender:
    key: str  # the --contender value and the key in results.json
    label: str  # the column header and the chart's legend
    environment: str  # a key of envs.environments(): the venv it runs in
    runner: str  # the runner class's name in runners.py
    scenarios: tuple[str, ...]
    databases: tuple[str, ...] = DATABASES
    # The contender whose figures this one's ratios are taken against in the
    # per-call and memory tables (its sync twin); None: itself.
    baseline: str | None = None
    # Merged into the worker's DATABASES["default"]: a backend option (native
    # async, say) that a contender sets in the same venv. Not the driver: what
    # the venv has installed decides that.
    database: dict[str, Any] = field(default_factory=dict)
    # The module the contender must reach PostgreSQL through, as the worker
    # reports it (Django's connection.Database): a run refuses a result from
    # any other, so a venv holding the wrong driver cannot fill a column.
    driver: str | None = None
    # A contender whose same figure this one's is also divided by, shown as a
    # second ratio: a psycopg 3 contender against its psycopg2 twin.
    versus: str | None = None
    # How the second ratio names what it is taken against; None: the twin's
    # driver ("…x of psycopg2").
    versus_title: str | None = None
    # Whether the contender runs the a-methods natively (OPTIONS["async_pool"]):
    # the worker reports whether a call really ran on the event loop inside a
    # native scope, and a run refuses a result that says otherwise (or, for
    # a contender that is not native, one that says it was).
    native: bool = False
    # Apps put before the benchmark's own in INSTALLED_APPS (a third-party
    # backend's app, say); the worker configures Django with them.
    apps: tuple[str, ...] = ()

    def runs(self, scenario: str, database: str) -> bool:
        allowed = SCENARIO_DATABASES.get(scenario, DATABASES)
        return (
            scenario in self.scenarios
            and database in self.databases
            and database in allowed
        )

    def title(self, database: str) -> str:
        """
        The contender's header in the given database's tables. On PostgreSQL,
        where the driver matters, it names the driver, unless the contender
        runs on PostgreSQL only and its label already says what it is.
        """
        if database == "postgresql" and self.driver and len(self.databases) > 1:
            return f"{self.label}, {DRIVER_NAMES[self.driver]}"
        return self.label


REGISTRY: dict[str, Contender] = {}


def register(contender: Contender) -> Contender:
    if contender.key in REGISTRY:
        raise ValueError(f"contender {contender.key!r} is already registered")
    REGISTRY[contender.key] = contender
    return contender


def select(keys: list[str] | None = None) -> list[Contender]:
    """The contenders named by keys (all when None), in registration order."""
    if keys is None:
        return list(REGISTRY.values())
    unknown = [k for k in keys if k not in REGISTRY]
    if unknown:
        choices = ", ".join(REGISTRY)
        raise ValueError(f"unknown contender {unknown[0]!r} (choose from {choices})")
    return [c for c in REGISTRY.values() if c.key in keys]


# The per-call and concurrency figures come with the CPU time the contender's
# process spent on them (every thread's), under the scenario's name plus this
# suffix: a contender that waits less but burns more shows it here.
CPU_SUFFIX = "-cpu"
# The scenarios whose samples are timings, which the driver takes in
# alternating rounds (see driver.py); memory is measured once, the whole app
# in rounds of its own.
TIMED = (PERCALL, CONCURRENCY, TRANSACTION)

# The whole-app scenario's configurations: (profile, uvicorn workers).
# "plain" is the site with no middleware; "sessions" adds SessionMiddleware
# and AuthenticationMiddleware, every client logged in with a session of its
# own in the database, and the views read request.user.
APP_PROFILES = ("plain", "sessions")
APP_CONFIGS = tuple((p, w) for p in APP_PROFILES for w in (1, 2))


def app_case(metric: str, profile: str, workers: int) -> str:
    """The whole-app figure's case name in results.json: "reads plain/1"."""
    return f"{metric} {profile}/{workers}"


# The reference for the concurrency scenario: what the driver itself reaches.
POOL = "psycopg3-pool"
# The reference for the whole-app scenario: the thread path on psycopg 3.
APP_REFERENCE = "fork-async-psycopg"
# And for the transaction scenario: what users write today, a sync function
# with `with transaction.atomic()` called through sync_to_async().
TRANSACTION_REFERENCE = APP_REFERENCE

# The upstream release the "upstream" environment installs; it must match
# requirements/bench-upstream.txt (a test checks that it does).
UPSTREAM_VERSION = "6.1.3"

# The fork on each PostgreSQL driver: its backend takes psycopg 3 when that is
# installed and psycopg2 otherwise, so each driver has a venv of its own
# ("fork" and "fork-psycopg"), and the psycopg 3 columns carry a second ratio
# to the psycopg2 ones: what switching drivers costs.
register(
    Contender(
        "fork-sync",
        "fork sync",
        "fork",
        "DjangoSync",
        (PERCALL, CONCURRENCY, MEMORY),
        driver="psycopg2",
    )
)
register(
    Contender(
        "fork-async",
        "fork async (sync_to_async)",
        "fork",
        "DjangoAsync",
        (PERCALL, CONCURRENCY, MEMORY),
        baseline="fork-sync",
        driver="psycopg2",
    )
)
# PostgreSQL only: on SQLite they would repeat the two above. A sync caller's
# concurrency line is flat by construction, and fork-sync already draws it.
# The sync one reads the big table with list(): the reference for the native
# contender's aiterator() on the same driver. The thread path's memory figure
# would repeat fork-async's (tracemalloc does not see the drivers' C buffers)
# for some 15 s more of a full run. The thread path serves the whole-app
# scenario's async views as Django runs them without async_pool, and runs the
# transaction scenario's sync function through sync_to_async(); the sync
# contender runs that function in a plain loop (one transaction at a time,
# measured once and shown at every level).
register(
    Contender(
        "fork-sync-psycopg",
        "fork sync, psycopg 3",
        "fork-psycopg",
        "DjangoSync",
        (PERCALL, TRANSACTION, MEMORY),
        databases=("postgresql",),
        driver="psycopg",
        versus="fork-sync",
    )
)
register(
    Contender(
        "fork-async-psycopg",
        "fork async (sync_to_async), psycopg 3",
        "fork-psycopg",
        "DjangoAsync",
        (PERCALL, CONCURRENCY, TRANSACTION, APP),
        databases=("postgresql",),
        baseline="fork-sync-psycopg",
        driver="psycopg",
        versus="fork-async",
    )
)
# Native execution: the same a-methods on the event loop, on connections from
# a per-loop pool wide enough for the 50 in flight of the concurrency and
# transaction scenarios (an open `async with atomic()` block holds one
# connection) and the whole-app scenario's clients. Its ratios are to the sync calls on
# the same driver, and (second ratio) to the thread path on that driver.
NATIVE = "fork-native"
NATIVE_POOL = {"min_size": 4, "max_size": 60}
register(
    Contender(
        NATIVE,
        "fork native (async_pool), psycopg 3",
        "fork-psycopg",
        "DjangoNative",
        (PERCALL, CONCURRENCY, TRANSACTION, MEMORY, APP),
        databases=("postgresql",),
        baseline="fork-sync-psycopg",
        database={"OPTIONS": {"async_pool": NATIVE_POOL}},
        driver="psycopg",
        versus="fork-async-psycopg",
        versus_title="sync_to_async",
        native=True,
    )
)
register(
    Contender(
        "upstream-sync",
        f"upstream {UPSTREAM_VERSION} sync",
        "upstream",
        "DjangoSync",
        (PERCALL,),
        driver="psycopg",
    )
)
register(
    Contender(
        "upstream-async",
        f"upstream {UPSTREAM_VERSION} async",
        "upstream",
        "DjangoAsync",
        (PERCALL, CONCURRENCY),
        baseline="upstream-sync",
        driver="psycopg",
    )
)
register(
    Contender(
        POOL,
        "raw psycopg 3 pool",
        "fork-psycopg",
        "PsycopgPool",
        (CONCURRENCY,),
        databases=("postgresql",),
        driver="psycopg",
    )
)

# The peers: other ways of running Django-style ORM queries on asyncio, each in
# a venv of its own and through its documented API, on PostgreSQL. Their
# per-call ratios are to the fork's sync calls on psycopg 3 (the figure the
# native target is set against); at the concurrency levels, to the raw pool.
# Each peer's pool is as wide as the native contender's.
PEER_BASELINE = "fork-sync-psycopg"
DAB_VERSION = "6.1.5"
register(
    Contender(
        "dab",
        f"django-async-backend {DAB_VERSION} (Django {UPSTREAM_VERSION}), psycopg 3",
        "dab",
        "DabAsync",
        (PERCALL, CONCURRENCY),
        databases=("postgresql",),
        baseline=PEER_BASELINE,
        database={
            "ENGINE": "django_async_backend.db.backends.postgresql",
            "OPTIONS": {"pool": NATIVE_POOL},
        },
        driver="psycopg",
        apps=("django_async_backend",),
    )
)
SQLALCHEMY_VERSION = "2.1.9"
for _driver, _name in (("psycopg", "psycopg 3"), ("asyncpg", "asyncpg")):
    register(
        Contender(
            f"sqlalchemy-{_driver}",
            f"SQLAlchemy {SQLALCHEMY_VERSION} asyncio ORM, {_name}",
            "sqlalchemy",
            "SQLAlchemyAsync",
            (PERCALL, CONCURRENCY),
            databases=("postgresql",),
            baseline=PEER_BASELINE,
            database={"DRIVER": _driver, "POOL": NATIVE_POOL},
            driver=_driver,
        )
    )
