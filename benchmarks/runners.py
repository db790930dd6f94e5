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
from typing import Any, Awaitable, Callable

Case = Callable[[], float]

# The same query the ORM contenders send, written out for the raw driver.
RAW_DELAYED_GET = (
    "SELECT id, name, number, (SELECT 1 FROM pg_sleep(%s)) AS pause "
    "FROM bench_item WHERE id = %s"
)


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
    """A contender's scenarios: cases(scenario) maps each case to a callable."""

    def __init__(self, sizes: dict[str, Any]) -> None:
        self.sizes = sizes
        self.pks = range(1, sizes["table_rows"] + 1)

    def cases(self, scenario: str) -> dict[str, Case]:
        return {}

    def warm(self) -> None:
        """Connect and run one query, so that no sample pays for the first one."""

    def close(self) -> None:
        pass

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
    pools = native._loops.get(asyncio.get_running_loop()) if native else None
    return {
        "scope": bool(seen.get("scope")),
        "same_thread": seen.get("thread") == threading.get_ident(),
        "pool": pools is not None and "default" in pools.pools,
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
        if scenario == "memory":
            return {"list": self.materialize}
        return {}

    def warm(self) -> None:
        from benchapp.models import Item

        Item.objects.count()

    def get(self) -> float:
        from benchapp.models import Item

        n = self.sizes["calls"]
        start = time.perf_counter()
        for i in range(n):
            Item.objects.get(pk=self.pk(i))
        return (time.perf_counter() - start) / n

    def count(self) -> float:
        from benchapp.models import Item

        n = self.sizes["calls"]
        start = time.perf_counter()
        for _ in range(n):
            Item.objects.count()
        return (time.perf_counter() - start) / n

    def create(self) -> float:
        from benchapp.models import Note

        n = self.sizes["calls"]
        start = time.perf_counter()
        for i in range(n):
            Note.objects.create(name=f"note {i}")
        return (time.perf_counter() - start) / n

    def iterate(self) -> float:
        from benchapp.models import Item

        n = self.sizes["loops"]
        start = time.perf_counter()
        for _ in range(n):
            for _item in Item.objects.all():
                pass
        return (time.perf_counter() - start) / n

    def delayed(self) -> float:
        qs = delayed_items(self.sizes["delay"])
        n = self.sizes["queries"]
        start = time.perf_counter()
        for i in range(n):
            qs.get(pk=self.pk(i))
        return (time.perf_counter() - start) / n

    def materialize(self) -> float:
        from benchapp.models import Row

        return traced_peak(lambda: list(Row.objects.all()))


class AsyncRunner(Runner):
    """A runner whose cases are coroutines, all run on one event loop."""

    def __init__(self, sizes: dict[str, Any]) -> None:
        super().__init__(sizes)
        self.loop = asyncio.new_event_loop()

    def run(self, make: Callable[[], Awaitable[float]]) -> Case:
        return lambda: self.loop.run_until_complete(make())

    def close(self) -> None:
        # As asyncio.run() does: native execution closes its pools then.
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()

    async def gathered(self, level: int, one: Callable[[int], Awaitable[Any]]) -> float:
        """Seconds per query of `queries` calls to one(), `level` at a time."""
        gate = asyncio.Semaphore(level)

        async def gated(i: int) -> None:
            async with gate:
                await one(self.pk(i))

        n = self.sizes["queries"]
        start = time.perf_counter()
        await asyncio.gather(*(gated(i) for i in range(n)))
        return (time.perf_counter() - start) / n


class DjangoAsync(AsyncRunner):
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
        if scenario == "memory":
            return {"aiterator": self.traced(self.stream)}
        return {}

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

    async def get(self) -> float:
        from benchapp.models import Item

        n = self.sizes["calls"]
        start = time.perf_counter()
        for i in range(n):
            await Item.objects.aget(pk=self.pk(i))
        return (time.perf_counter() - start) / n

    async def count(self) -> float:
        from benchapp.models import Item

        n = self.sizes["calls"]
        start = time.perf_counter()
        for _ in range(n):
            await Item.objects.acount()
        return (time.perf_counter() - start) / n

    async def create(self) -> float:
        from benchapp.models import Note

        n = self.sizes["calls"]
        start = time.perf_counter()
        for i in range(n):
            await Note.objects.acreate(name=f"note {i}")
        return (time.perf_counter() - start) / n

    async def iterate(self) -> float:
        from benchapp.models import Item

        n = self.sizes["loops"]
        start = time.perf_counter()
        for _ in range(n):
            async for _item in Item.objects.all():
                pass
        return (time.perf_counter() - start) / n

    async def aiterate(self) -> float:
        from benchapp.models import Item

        n = self.sizes["loops"]
        start = time.perf_counter()
        for _ in range(n):
            async for _item in Item.objects.all().aiterator():
                pass
        return (time.perf_counter() - start) / n

    async def delayed(self, level: int) -> float:
        qs = delayed_items(self.sizes["delay"])
        return await self.gathered(level, lambda pk: qs.aget(pk=pk))

    async def stream(self) -> None:
        from benchapp.models import Row

        async for _row in Row.objects.aiterator():
            pass


class DjangoNative(DjangoAsync):
    """The same a-methods with OPTIONS["async_pool"] on: natively on the loop.

    The runner is DjangoAsync's; what differs is the contender's database
    settings, and that the worker must find native execution really on.
    """


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

    def __init__(self, sizes: dict[str, Any]) -> None:
        super().__init__(sizes)
        self.pools: dict[int, Any] = {}

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

    async def delayed(self, level: int) -> float:
        pool = await self.pool(level)
        delay = self.sizes["delay"]

        async def one(pk: int) -> None:
            async with pool.connection() as conn:
                cursor = await conn.execute(RAW_DELAYED_GET, (delay, pk))
                await cursor.fetchone()

        return await self.gathered(level, one)

    def close(self) -> None:
        async def close_all() -> None:
            for pool in self.pools.values():
                await pool.close()

        self.loop.run_until_complete(close_all())
        super().close()


RUNNERS = {
    cls.__name__: cls for cls in (DjangoSync, DjangoAsync, DjangoNative, PsycopgPool)
}
