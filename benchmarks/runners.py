"""The contenders' callables, run inside a contender's venv by worker.py.

Each runner offers, per scenario, the cases it can run; a case's callable does
one sample's work and returns its figure: seconds per call (per-call),
seconds per query (concurrency) or peak bytes traced (memory). The worker
repeats them and reports every sample; the driver takes the medians.
"""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
import tracemalloc
from typing import Any, Awaitable, Callable, Mapping, Sequence, Tuple, Union

# A sample: seconds per call or query, and the CPU seconds per call or query
# the process spent (every thread's: the thread path's workers count too);
# or, for memory, the peak bytes.
Sample = Union[Tuple[float, float], float]
Case = Callable[[], Sample]


class Clock:
    """Wall and CPU time from its creation, per unit of work."""

    def __init__(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def per(self, n: int) -> tuple[float, float]:
        wall = time.perf_counter() - self.wall
        return wall / n, (time.process_time() - self.cpu) / n


# The same query the ORM contenders send, written out for the raw driver.
RAW_DELAYED_GET = (
    "SELECT id, name, number, (SELECT 1 FROM pg_sleep(%s)) AS pause "
    "FROM bench_item WHERE id = %s"
)


class Skipped(Exception):
    """A runner cannot run a scenario on this Django; the message says why.

    The worker reports it beside the figures instead of failing the job, so
    the contender's other scenarios still reach the tables.
    """


class LostWrites(Exception):
    """The accounts' balances after a transaction sample are not the sum of
    the increments: a failed run, whatever its time."""


# The transaction scenario's contended case puts every task on this many rows.
CONTENDED_ROWS = 2


def transaction_cases(levels: Sequence[int]) -> dict[str, tuple[int, int]]:
    """Each case of the transaction scenario: (tasks in flight, rows they use).

    At every level each task has an account row of its own, so the figure is
    throughput, not waiting on row locks; the widest level runs once more
    with every task on CONTENDED_ROWS rows, where they queue on the locks.
    """
    cases = {str(level): (level, level) for level in levels}
    widest = max(levels)
    if widest > CONTENDED_ROWS:
        cases[f"{widest}/{CONTENDED_ROWS}"] = (widest, CONTENDED_ROWS)
    return cases


def transaction_plan(total: int, level: int, rows: int) -> list[tuple[int, int]]:
    """(account pk, transactions) for each task of a sample.

    The total is shared out as evenly as the level allows; task k works on
    account k % rows + 1 (pks start at 1, as the worker's setup makes them).
    A task whose share is nothing is left out.
    """
    if total < 0 or level < 1 or rows < 1:
        raise ValueError(
            f"no plan for {total} transactions, {level} tasks, {rows} rows"
        )
    share, extra = divmod(total, level)
    plan = [(k % rows + 1, share + (k < extra)) for k in range(level)]
    return [(pk, count) for pk, count in plan if count]


def expected_balances(plan: Sequence[tuple[int, int]]) -> dict[int, int]:
    """What each account must hold after the plan ran from zero balances."""
    balances: dict[int, int] = {}
    for pk, count in plan:
        balances[pk] = balances.get(pk, 0) + count
    return balances


def lost_writes(expected: Mapping[int, int], found: Mapping[int, int]) -> str | None:
    """None when found has the expected balances, else what is wrong.

    An account the plan did not touch must still hold zero; a missing
    account counts as zero.
    """
    wrong = [
        (pk, expected.get(pk, 0), found.get(pk, 0))
        for pk in sorted(set(expected) | set(found))
        if expected.get(pk, 0) != found.get(pk, 0)
    ]
    if not wrong:
        return None
    missing = sum(want - got for _, want, got in wrong)
    shown = "; ".join(
        f"account {pk} holds {got}, not {want}" for pk, want, got in wrong[:3]
    )
    more = f" (and {len(wrong) - 3} more)" if len(wrong) > 3 else ""
    total = sum(expected.values())
    return (
        f"{missing} of {total} increments lost in the transaction scenario: "
        f"{shown}{more}"
    )


def async_atomic_missing(atomic: type) -> str | None:
    """Why this Django cannot run `async with transaction.atomic()`, or None.

    Atomic blocks gained __aenter__ with the fork's async transactions; on an
    older build the native transaction case has nothing to measure.
    """
    if hasattr(atomic, "__aenter__") and hasattr(atomic, "__aexit__"):
        return None
    return (
        "this Django's transaction.Atomic has no __aenter__/__aexit__, so "
        "`async with transaction.atomic()` is not available to measure"
    )


def deposit(pk: int) -> None:
    """The transaction scenario's body as sync code: lock, read, add, write."""
    from benchapp.models import Account

    from django.db import transaction

    with transaction.atomic():
        account = Account.objects.select_for_update().get(pk=pk)
        account.balance += 1
        account.save(update_fields=["balance"])


async def adeposit(pk: int) -> None:
    """The same body in an async block, with the a-methods (native execution)."""
    from benchapp.models import Account

    from django.db import DEFAULT_DB_ALIAS, transaction

    async with transaction.atomic(using=DEFAULT_DB_ALIAS):
        account = await Account.objects.select_for_update().aget(pk=pk)
        account.balance += 1
        await account.asave(update_fields=["balance"])


def traced_peak(work: Callable[[], Any]) -> float:
    """The peak of memory allocated through Python while work() runs."""
    gc.collect()
    tracemalloc.start()
    try:
        work()
        return float(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


class Runner:
    """A contender's scenarios: cases(scenario) maps each case to a callable.

    settings: the contender's own database settings (Contender.database).
    A runner whose uses_django is False runs without Django configured.
    """

    uses_django = True

    def __init__(
        self, sizes: dict[str, Any], settings: Mapping[str, Any] | None = None
    ) -> None:
        self.sizes = sizes
        self.settings = dict(settings or {})
        self.pks = range(1, sizes["table_rows"] + 1)

    def describe(self) -> dict[str, str]:
        """What this contender ran on, for the report."""
        import platform

        import django
        from django.db import connection

        module = connection.Database
        if connection.vendor == "sqlite":
            driver = f"sqlite3 (SQLite {module.sqlite_version})"
        else:
            version = str(getattr(module, "__version__", "?")).split()[0]
            driver = f"{module.__name__} {version}"
        return {
            "python": platform.python_version(),
            "django": django.get_version(),
            "driver": driver,
        }

    def driver(self) -> str:
        """The database driver the samples went through, by its top module.

        For Django, the module its backend imported as ``Database``: with
        psycopg 3 installed a backend may choose it over psycopg2, so the name
        says which one this venv really gave.
        """
        from django.db import connection

        return connection.Database.__name__.split(".")[0]

    def cases(self, scenario: str) -> dict[str, Case]:
        return {}

    def warm(self) -> None:
        """Connect and run one query, so that no sample pays for the first one."""

    def close(self) -> None:
        pass

    def release(self) -> None:
        """Close the database connections this process holds; the next call
        opens new ones."""
        from django.db import connections

        connections.close_all()

    def pk(self, i: int) -> int:
        return self.pks[(i * 7919) % len(self.pks)]


def delayed_items(delay: float):
    from benchapp.models import Item

    from django.db.models import IntegerField
    from django.db.models.expressions import RawSQL

    pause = RawSQL("SELECT 1 FROM pg_sleep(%s)", (delay,), output_field=IntegerField())
    return Item.objects.annotate(pause=pause)


async def native_probe() -> dict[str, bool]:
    """Whether an a-method of the running loop really runs natively.

    acreate() fires pre_save from inside the ORM: natively, the receiver runs
    in a native scope on this thread (the loop's, in a greenlet); through
    sync_to_async, on a worker thread with no scope. "pool": the default
    alias has a pool on this loop. A Django without native execution
    (upstream) answers False throughout.
    """
    from benchapp.models import Note

    from django.db.models.signals import pre_save

    seen: dict[str, Any] = {}

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen["scope"] = scope() is not None
        seen["thread"] = threading.get_ident()

    try:
        from django.db import native
    except ImportError:
        native = None
    scope = native.current_scope if native else (lambda: None)
    pre_save.connect(receiver, sender=Note, weak=False)
    try:
        await Note.objects.acreate(name="native probe")
    finally:
        pre_save.disconnect(receiver, sender=Note)
    # The fork's public answer: calls on "default" from this coroutine run
    # natively, on a pool of this loop.
    pool = native is not None and native.is_native("default")
    return {
        "scope": bool(seen.get("scope")),
        "same_thread": seen.get("thread") == threading.get_ident(),
        "pool": pool,
    }


class DjangoSync(Runner):
    """The sync ORM: the reference for what an a-method adds."""

    def cases(self, scenario: str) -> dict[str, Case]:
        if scenario == "percall":
            return {
                "get": self.get,
                "count": self.count,
                "create": self.create,
                "iterate": self.iterate,
            }
        if scenario == "concurrency":
            # A sync caller has one query in flight whatever the level.
            return {str(level): self.delayed for level in self.sizes["levels"]}
        if scenario == "transaction":
            # One transaction at a time whatever the case: one sample serves all.
            cases = transaction_cases(self.sizes["levels"])
            return {case: self.transactions for case in cases}
        if scenario == "memory":
            return {"list": self.materialize}
        return {}

    def warm(self) -> None:
        from benchapp.models import Item

        Item.objects.count()

    def get(self) -> tuple[float, float]:
        from benchapp.models import Item

        n = self.sizes["calls"]
        clock = Clock()
        for i in range(n):
            Item.objects.get(pk=self.pk(i))
        return clock.per(n)

    def count(self) -> tuple[float, float]:
        from benchapp.models import Item

        n = self.sizes["calls"]
        clock = Clock()
        for _ in range(n):
            Item.objects.count()
        return clock.per(n)

    def create(self) -> tuple[float, float]:
        from benchapp.models import Note

        n = self.sizes["calls"]
        clock = Clock()
        for i in range(n):
            Note.objects.create(name=f"note {i}")
        return clock.per(n)

    def iterate(self) -> tuple[float, float]:
        from benchapp.models import Item

        n = self.sizes["loops"]
        clock = Clock()
        for _ in range(n):
            for _item in Item.objects.all():
                pass
        return clock.per(n)

    def delayed(self) -> tuple[float, float]:
        qs = delayed_items(self.sizes["delay"])
        n = self.sizes["queries"]
        clock = Clock()
        for i in range(n):
            qs.get(pk=self.pk(i))
        return clock.per(n)

    def transactions(self) -> tuple[float, float]:
        from benchapp.models import Account

        plan = transaction_plan(self.sizes["transactions"], 1, 1)
        Account.objects.update(balance=0)
        clock = Clock()
        for pk, count in plan:
            for _ in range(count):
                deposit(pk)
        per = clock.per(self.sizes["transactions"])
        found = dict(Account.objects.values_list("pk", "balance"))
        why = lost_writes(expected_balances(plan), found)
        if why:
            raise LostWrites(why)
        return per

    def materialize(self) -> float:
        from benchapp.models import Row

        return traced_peak(lambda: list(Row.objects.all()))


class AsyncRunner(Runner):
    """A runner whose cases are coroutines, all run on one event loop."""

    def __init__(
        self, sizes: dict[str, Any], settings: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(sizes, settings)
        self.loop = asyncio.new_event_loop()

    def run(self, make: Callable[[], Awaitable[Sample]]) -> Case:
        return lambda: self.loop.run_until_complete(make())

    def release(self) -> None:
        """Also close the native pools of this runner's loop, which keep as
        many connections as the widest level opened (50 blocks at once in the
        transaction scenario): on the loop, as the pools need; closed from
        outside it, they leave tasks pending on it."""

        async def close_pools() -> None:
            try:
                from django.db import native
            except ImportError:  # A Django without native execution.
                return
            await native.aclose_pools()

        self.loop.run_until_complete(close_pools())
        super().release()

    def close(self) -> None:
        # As asyncio.run() does: native execution closes its pools then.
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    async def gathered(
        self, level: int, one: Callable[[int], Awaitable[Any]]
    ) -> tuple[float, float]:
        """Seconds per query of `queries` calls to one(), `level` at a time."""
        gate = asyncio.Semaphore(level)

        async def gated(i: int) -> None:
            async with gate:
                await one(self.pk(i))

        n = self.sizes["queries"]
        clock = Clock()
        await asyncio.gather(*(gated(i) for i in range(n)))
        return clock.per(n)


class ManagerCases:
    """The per-call cases through a Django manager's a-methods: ``objects``
    on the fork, the manager a contender adds elsewhere."""

    manager = "objects"
    sizes: dict[str, int]
    pk: Any

    def _manager(self, model: Any) -> Any:
        return getattr(model, self.manager)

    async def get(self) -> tuple[float, float]:
        from benchapp.models import Item

        n = self.sizes["calls"]
        clock = Clock()
        for i in range(n):
            await self._manager(Item).aget(pk=self.pk(i))
        return clock.per(n)

    async def count(self) -> tuple[float, float]:
        from benchapp.models import Item

        n = self.sizes["calls"]
        clock = Clock()
        for _ in range(n):
            await self._manager(Item).acount()
        return clock.per(n)

    async def create(self) -> tuple[float, float]:
        from benchapp.models import Note

        n = self.sizes["calls"]
        clock = Clock()
        for i in range(n):
            await self._manager(Note).acreate(name=f"note {i}")
        return clock.per(n)

    async def iterate(self) -> tuple[float, float]:
        from benchapp.models import Item

        n = self.sizes["loops"]
        clock = Clock()
        for _ in range(n):
            async for _item in self._manager(Item).all():
                pass
        return clock.per(n)


class DjangoAsync(ManagerCases, AsyncRunner):
    """The a-methods, as the installed Django implements them."""

    def cases(self, scenario: str) -> dict[str, Case]:
        if scenario == "percall":
            return {
                "get": self.run(self.get),
                "count": self.run(self.count),
                "create": self.run(self.create),
                "iterate": self.run(self.iterate),
                "aiterator": self.run(self.aiterate),
            }
        if scenario == "concurrency":
            return {
                str(level): self.run(lambda level=level: self.delayed(level))
                for level in self.sizes["levels"]
            }
        if scenario == "transaction":
            return {
                case: self.run(
                    lambda level=level, rows=rows: self.transact(level, rows)
                )
                for case, (level, rows) in transaction_cases(
                    self.sizes["levels"]
                ).items()
            }
        if scenario == "memory":
            return {"aiterator": self.traced(self.stream)}
        return {}

    def deposit(self) -> Callable[[int], Awaitable[None]]:
        """What users write today: the sync body, through sync_to_async()
        (thread_sensitive, its default: one thread runs them all)."""
        from asgiref.sync import sync_to_async

        return sync_to_async(deposit)

    async def transact(self, level: int, rows: int) -> tuple[float, float]:
        """Seconds per transaction of a sample, `level` tasks on `rows` rows."""
        from benchapp.models import Account

        plan = transaction_plan(self.sizes["transactions"], level, rows)
        one = self.deposit()

        async def task(pk: int, count: int) -> None:
            for _ in range(count):
                await one(pk)

        await Account.objects.aupdate(balance=0)
        clock = Clock()
        await asyncio.gather(*(task(pk, count) for pk, count in plan))
        per = clock.per(self.sizes["transactions"])
        found = {
            pk: balance
            async for pk, balance in Account.objects.values_list("pk", "balance")
        }
        why = lost_writes(expected_balances(plan), found)
        if why:
            raise LostWrites(why)
        return per

    def traced(self, make: Callable[[], Awaitable[None]]) -> Case:
        return lambda: traced_peak(lambda: self.loop.run_until_complete(make()))

    def warm(self) -> None:
        from benchapp.models import Item

        self.loop.run_until_complete(Item.objects.acount())
        self.probes = [self.loop.run_until_complete(native_probe())]

    def native_report(self) -> dict[str, bool]:
        """Whether native execution was on, before and after the samples:
        every probe must say so for a key to be True."""
        self.probes.append(self.loop.run_until_complete(native_probe()))
        return {key: all(probe[key] for probe in self.probes) for key in self.probes[0]}

    async def aiterate(self) -> tuple[float, float]:
        from benchapp.models import Item

        n = self.sizes["loops"]
        clock = Clock()
        for _ in range(n):
            async for _item in Item.objects.all().aiterator():
                pass
        return clock.per(n)

    async def delayed(self, level: int) -> tuple[float, float]:
        qs = delayed_items(self.sizes["delay"])
        return await self.gathered(level, lambda pk: qs.aget(pk=pk))

    async def stream(self) -> None:
        from benchapp.models import Row

        async for _row in Row.objects.aiterator():
            pass


class DjangoNative(DjangoAsync):
    """The same a-methods with OPTIONS["async_pool"] on: natively on the loop.

    The runner is DjangoAsync's; what differs is the contender's database
    settings, and that the worker must find native execution really on. The
    transaction scenario runs its body in `async with transaction.atomic()`,
    which a build without async blocks lacks: the scenario is then skipped.
    """

    def cases(self, scenario: str) -> dict[str, Case]:
        if scenario == "transaction":
            from django.db import transaction

            why = async_atomic_missing(transaction.Atomic)
            if why:
                raise Skipped(why)
        return super().cases(scenario)

    def deposit(self) -> Callable[[int], Awaitable[None]]:
        return adeposit


def conninfo() -> dict[str, Any]:
    """The benchmark database's connection parameters (POSTGRES_* variables)."""
    return {
        "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "port": int(os.environ.get("POSTGRES_PORT", "5432")),
        "user": os.environ.get("POSTGRES_USER", "postgres"),
        "password": os.environ.get("POSTGRES_PASSWORD", ""),
        "dbname": os.environ.get("POSTGRES_BENCH_DB", "asyncorm_bench"),
    }


class PsycopgPool(AsyncRunner):
    """psycopg 3's AsyncConnectionPool with one connection per query in flight.

    Autocommit, as Django's connections are, so each query is one round trip.
    """

    uses_django = False

    def __init__(
        self, sizes: dict[str, Any], settings: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(sizes, settings)
        self.pools: dict[int, Any] = {}

    def describe(self) -> dict[str, str]:
        import platform

        import psycopg

        return {
            "python": platform.python_version(),
            "driver": f"psycopg {psycopg.__version__}",
        }

    def driver(self) -> str:
        return "psycopg"

    def cases(self, scenario: str) -> dict[str, Case]:
        if scenario == "concurrency":
            return {
                str(level): self.run(lambda level=level: self.delayed(level))
                for level in self.sizes["levels"]
            }
        return {}

    async def pool(self, size: int):
        from psycopg_pool import AsyncConnectionPool

        if size not in self.pools:
            # Only one pool is open at a time, so the server never holds more
            # connections than the widest level.
            for old in self.pools.values():
                await old.close()
            self.pools.clear()
            pool = AsyncConnectionPool(
                min_size=size,
                max_size=size,
                kwargs={**conninfo(), "autocommit": True},
                open=False,
            )
            await pool.open(wait=True, timeout=60)
            self.pools[size] = pool
        return self.pools[size]

    async def delayed(self, level: int) -> tuple[float, float]:
        pool = await self.pool(level)
        delay = self.sizes["delay"]

        async def one(pk: int) -> None:
            async with pool.connection() as conn:
                cursor = await conn.execute(RAW_DELAYED_GET, (delay, pk))
                await cursor.fetchone()

        return await self.gathered(level, one)

    def release(self) -> None:
        pass  # Not Django's: it serves no app.

    def close(self) -> None:
        async def close_all() -> None:
            for pool in self.pools.values():
                await pool.close()

        self.loop.run_until_complete(close_all())
        super().close()


def delayed_column(delay: float) -> str:
    """The concurrency query's pause as SQL, for runners that write it out."""
    return f"(SELECT 1 FROM pg_sleep({float(delay)!r}))"


class DabAsync(ManagerCases, AsyncRunner):
    """django-async-backend through its documented API.

    Models get an ``async_objects`` manager from the package's app; queries
    run on its own PostgreSQL backend, on connections from its pool
    (OPTIONS["pool"]). A connection belongs to the task that first used it:
    every sample runs as one task and gives its connection back at the end,
    as the package's ASGI middleware does at the end of a request, and each
    query of the concurrency scenario runs in ``async_new_connection()``,
    the package's way of running queries in parallel.
    """

    manager = "async_objects"

    def cases(self, scenario: str) -> dict[str, Case]:
        if scenario == "percall":
            return {
                "get": self.run(self.get),
                "count": self.run(self.count),
                "create": self.run(self.create),
                "iterate": self.run(self.iterate),
            }
        if scenario == "concurrency":
            return {
                str(level): self.run(lambda level=level: self.delayed(level))
                for level in self.sizes["levels"]
            }
        return {}

    def run(self, make: Callable[[], Awaitable[Any]]) -> Case:
        async def task() -> Any:
            from django_async_backend.db import close_old_async_connections

            try:
                return await make()
            finally:
                await close_old_async_connections()

        return lambda: self.loop.run_until_complete(task())

    def describe(self) -> dict[str, str]:
        from importlib.metadata import version

        about = super().describe()
        about["django-async-backend"] = version("django-async-backend")
        return about

    def warm(self) -> None:
        from benchapp.models import Item

        self.run(Item.async_objects.acount)()

    def release(self) -> None:
        async def close_pool() -> None:
            from django_async_backend.db import async_connections

            await async_connections["default"].close_pool()

        self.loop.run_until_complete(close_pool())

    def close(self) -> None:
        self.release()
        super().close()

    async def delayed(self, level: int) -> tuple[float, float]:
        from benchapp.models import Item
        from django_async_backend.db import async_new_connection

        from django.db.models import IntegerField
        from django.db.models.expressions import RawSQL

        pause = RawSQL(
            "SELECT 1 FROM pg_sleep(%s)",
            (self.sizes["delay"],),
            output_field=IntegerField(),
        )
        qs = Item.async_objects.annotate(pause=pause)

        async def one(pk: int) -> None:
            async with async_new_connection():
                await qs.aget(pk=pk)

        return await self.gathered(level, one)


class SQLAlchemyAsync(AsyncRunner):
    """SQLAlchemy 2's asyncio ORM: an AsyncSession per call, as a request
    would open one, on create_async_engine() with the driver the contender's
    settings name ("DRIVER": psycopg or asyncpg) and a pool as wide as theirs
    ("POOL": max_size). The same tables, mapped declaratively."""

    uses_django = False

    def __init__(
        self, sizes: dict[str, Any], settings: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(sizes, settings)
        from sqlalchemy import Integer, String
        from sqlalchemy.engine import URL
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
        from sqlalchemy.orm import DeclarativeBase, mapped_column

        class Base(DeclarativeBase):
            pass

        class Item(Base):
            __tablename__ = "bench_item"
            id = mapped_column(Integer, primary_key=True)
            name = mapped_column(String(40))
            number = mapped_column(Integer)

        class Note(Base):
            __tablename__ = "bench_note"
            id = mapped_column(Integer, primary_key=True)
            name = mapped_column(String(40))

        self.Item, self.Note = Item, Note
        info = conninfo()
        url = URL.create(
            f"postgresql+{self.settings.get('DRIVER', 'psycopg')}",
            username=info["user"],
            password=info["password"] or None,
            host=info["host"],
            port=info["port"],
            database=info["dbname"],
        )
        size = int(self.settings.get("POOL", {}).get("max_size", 60))
        self.engine = create_async_engine(url, pool_size=size, max_overflow=0)
        self.session = async_sessionmaker(self.engine, expire_on_commit=False)

    def cases(self, scenario: str) -> dict[str, Case]:
        return DabAsync.cases(self, scenario)  # type: ignore[arg-type]

    def describe(self) -> dict[str, str]:
        import platform

        import sqlalchemy

        name = self.engine.dialect.driver
        module = __import__(name)
        return {
            "python": platform.python_version(),
            "sqlalchemy": sqlalchemy.__version__,
            "driver": f"{name} {module.__version__}",
        }

    def driver(self) -> str:
        return str(self.engine.dialect.driver)

    def warm(self) -> None:
        self.loop.run_until_complete(self.get())

    def release(self) -> None:
        self.loop.run_until_complete(self.engine.dispose())

    def close(self) -> None:
        self.release()
        super().close()

    async def get(self) -> tuple[float, float]:
        n = self.sizes["calls"]
        clock = Clock()
        for i in range(n):
            async with self.session() as session:
                await session.get(self.Item, self.pk(i))
        return clock.per(n)

    async def count(self) -> tuple[float, float]:
        from sqlalchemy import func, select

        query = select(func.count()).select_from(self.Item)
        n = self.sizes["calls"]
        clock = Clock()
        for _ in range(n):
            async with self.session() as session:
                await session.scalar(query)
        return clock.per(n)

    async def create(self) -> tuple[float, float]:
        n = self.sizes["calls"]
        clock = Clock()
        for i in range(n):
            async with self.session() as session:
                session.add(self.Note(name=f"note {i}"))
                await session.commit()
        return clock.per(n)

    async def iterate(self) -> tuple[float, float]:
        from sqlalchemy import select

        n = self.sizes["loops"]
        clock = Clock()
        for _ in range(n):
            async with self.session() as session:
                for _item in await session.scalars(select(self.Item)):
                    pass
        return clock.per(n)

    async def delayed(self, level: int) -> tuple[float, float]:
        from sqlalchemy import literal_column, select

        pause = literal_column(delayed_column(self.sizes["delay"])).label("pause")
        Item = self.Item

        async def one(pk: int) -> None:
            async with self.session() as session:
                (await session.execute(select(Item, pause).where(Item.id == pk))).one()

        return await self.gathered(level, one)


RUNNERS = {
    cls.__name__: cls
    for cls in (
        DjangoSync,
        DjangoAsync,
        DjangoNative,
        PsycopgPool,
        DabAsync,
        SQLAlchemyAsync,
    )
}
