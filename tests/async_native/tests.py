import asyncio
import datetime
import functools
import sys
import time
from unittest import mock, skipIf, skipUnless

from asgiref.sync import sync_to_async

from django.core.exceptions import ImproperlyConfigured, SynchronousOnlyOperation
from django.db import IntegrityError, OperationalError, connection, connections, native
from django.db.models import Count, Prefetch, Sum, aprefetch_related_objects
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.shortcuts import aget_object_or_404
from django.test import SimpleTestCase, TestCase, TransactionTestCase, override_settings

from .models import Author, Book, Code

native_on = skipUnless(
    native.enabled(connection.settings_dict),
    "Native asynchronous execution (OPTIONS['async_pool']) is off.",
)


def behind_pgbouncer():
    """
    Whether the test settings connect through PgBouncer
    (tests/test_postgresql_pgbouncer.py): its transaction pooling multiplexes
    client connections onto server ones, so a backend's pid doesn't identify
    a connection of ours and session state reaches other clients.
    """
    test_name = (connection.settings_dict.get("TEST") or {}).get("NAME") or ""
    return test_name.endswith("_pgbouncer")


def on_psycopg3():
    if connection.vendor != "postgresql":
        return False
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return is_psycopg3


def sleeping(queryset, seconds):
    """queryset, made to spend seconds in the server for each row."""
    return queryset.annotate(
        nap=RawSQL("pg_sleep(%s)::text", [seconds]), pid=RawSQL("pg_backend_pid()", [])
    )


def activity():
    """The other sessions on the test database: (pid, state, query)."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT pid, state, query FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchall()


def open_pids(gone=()):
    """
    The pids of the other sessions, once those in gone have left (a server
    process ends a moment after its client closes the connection).
    """
    for _ in range(50):
        pids = {pid for pid, _, _ in activity()}
        if not pids.intersection(gone):
            break
        time.sleep(0.1)
    return pids


def skip_behind_a_pooler(test):
    """
    Skip a test that tells client connections apart by their server session:
    behind a pooler in transaction mode (PgBouncer), a connection has no
    session of its own, and an idle one may hold none at all. The pooler
    gives the client a process id of its own at login, unlike the server.
    """

    def wrapper(self, *args, **kwargs):
        if backend_pid()[0] != connections["default"].connection.info.backend_pid:
            self.skipTest("A connection pooler is between the tests and the server.")
        return test(self, *args, **kwargs)

    return functools.wraps(test)(wrapper)


def backend_pid(using="default"):
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid(), current_database()")
        return cursor.fetchone()


async def run_native(func, *args):
    """Run sync func on the native path, as the ORM's a-methods do."""
    from django.db.async_bridge import run_sync

    return await run_sync(func, *args)


def pool_stats(using="default"):
    return native.pool_for(using, connections).pool.get_stats()


async def pool_stats_when_idle(using="default"):
    """
    The pool's statistics once the running task has given its connections
    back and the tasks that ended have had theirs given back (just after).
    """
    await native.arelease_connections()
    for _ in range(50):
        stats = pool_stats(using)
        if stats["pool_available"] == stats["pool_size"]:
            break
        await asyncio.sleep(0.01)
    return stats


@native_on
class NativeQueryTests(TransactionTestCase):
    """The a-methods on pooled connections give the sync ORM's results."""

    available_apps = ["async_native"]

    def setUp(self):
        self.a1 = Author.objects.create(name="Ann")
        self.a2 = Author.objects.create(name="bob")
        self.b1 = Book.objects.create(author=self.a1, title="One")
        self.b2 = Book.objects.create(author=self.a1, title="Two")
        self.b3 = Book.objects.create(author=self.a2, title="Three")

    async def test_get_count_exists(self):
        self.assertEqual(await Author.objects.aget(name="Ann"), self.a1)
        self.assertEqual(await Book.objects.acount(), 3)
        self.assertIs(await Book.objects.filter(title="Two").aexists(), True)
        self.assertIs(await Book.objects.filter(title="Six").aexists(), False)
        self.assertEqual(await Author.objects.order_by("pk").afirst(), self.a1)
        self.assertEqual(await Author.objects.order_by("pk").alast(), self.a2)

    async def test_errors(self):
        with self.assertRaises(Author.DoesNotExist):
            await Author.objects.aget(name="nobody")
        with self.assertRaises(Book.MultipleObjectsReturned):
            await Book.objects.aget(author=self.a1)
        await Code.objects.acreate(code="x")
        msg = "duplicate key value violates unique constraint"
        with self.assertRaisesMessage(IntegrityError, msg):
            await Code.objects.acreate(code="x")
        # The connection went back to the pool usable.
        self.assertEqual(await Code.objects.acount(), 1)

    async def test_iteration(self):
        qs = Book.objects.order_by("pk")
        expected = await sync_to_async(list)(qs)
        self.assertEqual([b async for b in qs], expected)
        self.assertEqual([b async for b in qs.aiterator(chunk_size=2)], expected)
        self.assertEqual(
            [t async for t in qs.values_list("title", flat=True)],
            ["One", "Two", "Three"],
        )
        self.assertEqual(
            [row async for row in qs.values("title")[:1]], [{"title": "One"}]
        )
        raw = Book.objects.raw("SELECT * FROM async_native_book ORDER BY id")
        self.assertEqual([b async for b in raw], expected)

    async def test_related_and_prefetch(self):
        qs = Author.objects.order_by("pk").prefetch_related(
            Prefetch("books", Book.objects.order_by("pk"))
        )
        authors = [a async for a in qs.aiterator(chunk_size=1)]
        self.assertEqual(
            [list(a.books.all()) for a in authors], [[self.b1, self.b2], [self.b3]]
        )
        books = [b async for b in Book.objects.select_related("author").order_by("pk")]
        self.assertEqual([b.author.name for b in books], ["Ann", "Ann", "bob"])
        new = await self.a2.books.acreate(title="Four")
        self.assertEqual(new.author, self.a2)
        self.assertEqual(await self.a2.books.acount(), 2)
        authors = [a async for a in Author.objects.order_by("pk")]
        await aprefetch_related_objects(authors, "books")
        self.assertEqual(len(authors[1]._prefetched_objects_cache["books"]), 2)

    async def test_writes(self):
        author = Author(name="Cy")
        await author.asave()
        self.assertIsNotNone(author.pk)
        self.assertEqual(await Author.objects.filter(name="Cy").aupdate(name="Cyd"), 1)
        await author.arefresh_from_db()
        self.assertEqual(author.name, "Cyd")
        obj, created = await Author.objects.aget_or_create(name="Dee")
        self.assertIs(created, True)
        obj, created = await Author.objects.aupdate_or_create(
            name="Dee", defaults={"name": "Dee2"}
        )
        self.assertIs(created, False)
        self.assertEqual(obj.name, "Dee2")
        made = await Code.objects.abulk_create([Code(code="a"), Code(code="b")])
        self.assertEqual(len(made), 2)
        deleted, per_model = await Author.objects.filter(pk=self.a1.pk).adelete()
        # The author and its two books: the collector cascades as in sync.
        self.assertEqual(deleted, 3)
        self.assertEqual(per_model["async_native.Book"], 2)
        await author.adelete()
        self.assertEqual(await Author.objects.acount(), 2)

    async def test_aggregates_and_shortcuts(self):
        result = await Book.objects.aaggregate(n=Count("pk"))
        self.assertEqual(result, {"n": 3})
        counts = [
            (a.name, a.n)
            async for a in Author.objects.annotate(n=Count("books")).order_by(
                Lower("name")
            )
        ]
        self.assertEqual(counts, [("Ann", 2), ("bob", 1)])
        self.assertEqual(await aget_object_or_404(Author, name="bob"), self.a2)
        in_bulk = await Book.objects.ain_bulk([self.b1.pk, self.b3.pk])
        self.assertEqual(in_bulk, {self.b1.pk: self.b1, self.b3.pk: self.b3})
        self.assertEqual(
            (await Book.objects.aaggregate(s=Sum("author_id")))["s"],
            2 * self.a1.pk + self.a2.pk,
        )

    @override_settings(USE_TZ=True, TIME_ZONE="America/Chicago")
    async def test_datetimes_as_sync(self):
        moment = datetime.datetime(2022, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
        await Book.objects.filter(pk=self.b1.pk).aupdate(published=moment)
        book = await Book.objects.aget(pk=self.b1.pk)
        synced = await sync_to_async(Book.objects.get)(pk=self.b1.pk)
        self.assertEqual(book.published, moment)
        self.assertEqual(book.published.utcoffset(), synced.published.utcoffset())

    async def test_sync_orm_still_refused_on_the_loop(self):
        with self.assertRaises(SynchronousOnlyOperation):
            list(Author.objects.all())
        # sync_to_async keeps working beside the native path.
        self.assertEqual(await sync_to_async(Author.objects.count)(), 2)


@native_on
class NativeConnectionTests(TransactionTestCase):
    """Each task gets pooled connections of its own and gives them back."""

    available_apps = ["async_native"]
    databases = {"default", "other"}

    def setUp(self):
        Author.objects.create(name="Ann")

    async def test_concurrent_queries_overlap(self):
        finished = []

        async def slow():
            await sleeping(Author.objects.all(), 1).acount()
            finished.append("slow")

        async def fast():
            await asyncio.sleep(0.1)
            await Author.objects.acount()
            finished.append("fast")

        await asyncio.gather(slow(), fast())
        # On a single worker thread, the fast query would wait for the slow.
        self.assertEqual(finished, ["fast", "slow"])

    async def test_gather_uses_a_connection_per_task(self):
        qs = sleeping(Author.objects.all(), 0.2).values_list("pid", "nap")
        rows = await asyncio.gather(*(qs.aget() for _ in range(4)))
        self.assertEqual(len({pid for pid, _ in rows}), 4)
        stats = await pool_stats_when_idle()
        self.assertEqual(stats["pool_available"], stats["pool_size"])

    async def test_aliases_have_pools_of_their_own(self):
        default = await run_native(backend_pid)
        other = await run_native(backend_pid, "other")
        self.assertNotEqual(default[1], other[1])
        self.assertIsNot(pool_stats("default"), pool_stats("other"))
        self.assertEqual(await Author.objects.using("other").acount(), 0)

    async def test_sessions_are_set_up(self):
        def settings_of_session():
            with connections["default"].cursor() as cursor:
                cursor.execute("SHOW TimeZone")
                return cursor.fetchone()[0]

        self.assertEqual(
            await run_native(settings_of_session),
            connections["default"].timezone_name,
        )

    async def test_cancel_stops_the_query(self):
        task = asyncio.ensure_future(sleeping(Author.objects.all(), 30).acount())
        for _ in range(100):
            await asyncio.sleep(0.05)
            rows = await run_native(activity)
            if any(
                "pg_sleep" in query and state == "active" for _, state, query in rows
            ):
                break
        else:
            self.fail("The query didn't start.")
        task.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await task
        rows = await run_native(activity)
        self.assertEqual(
            [row for row in rows if row[1] != "idle"],
            [],
        )
        stats = await pool_stats_when_idle()
        self.assertEqual(stats["pool_available"], stats["pool_size"])
        self.assertEqual(await Author.objects.acount(), 1)

    async def test_timeout_inside_an_atomic_block(self):
        def write_then_sleep():
            from django.db import transaction

            with transaction.atomic():
                Author.objects.create(name="lost")
                list(sleeping(Author.objects.all(), 30))

        with self.assertRaises(TimeoutError):
            async with asyncio.timeout(0.5):
                await run_native(write_then_sleep)
        # Rolled back, and nothing is left running or in a transaction.
        self.assertEqual(await Author.objects.acount(), 1)
        rows = await run_native(activity)
        self.assertEqual([row for row in rows if row[1] != "idle"], [])

    async def test_many_cancelled_calls(self):
        qs = sleeping(Author.objects.all(), 0.05)
        for _ in range(10):
            tasks = [asyncio.ensure_future(qs.aget()) for _ in range(20)]
            await asyncio.sleep(0.02)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        stats = await pool_stats_when_idle()
        self.assertEqual(stats["pool_available"], stats["pool_size"])
        self.assertLessEqual(stats["pool_size"], 8)
        rows = await run_native(activity)
        self.assertEqual([row for row in rows if row[1] != "idle"], [])
        self.assertEqual((await Author.objects.aget()).name, "Ann")

    async def test_exhausted_pool(self):
        options = connections["default"].settings_dict["OPTIONS"]
        small = {"async_pool": {"min_size": 1, "max_size": 1, "timeout": 0.3}}
        with mock.patch.dict(options, small):
            # Pools made with the settings above.
            await native.aclose_pools()
            rows = Author.objects.aiterator(chunk_size=1)
            self.assertEqual((await rows.__anext__()).name, "Ann")
            msg = (
                "couldn't get a connection after 0.30 sec from the async pool of "
                "database 'default': all of its connections are in use (max_size=1)."
            )
            with self.assertRaisesMessage(OperationalError, msg):
                await Author.objects.acount()
            await rows.aclose()
            self.assertEqual(await Author.objects.acount(), 1)
            await native.aclose_pools()

    @skipIf(
        connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"),
        "Server-side cursors are off (DISABLE_SERVER_SIDE_CURSORS).",
    )
    async def test_aiterator_streams_from_a_server_side_cursor(self):
        from django.db.backends.postgresql.native import BridgedCursor

        await Author.objects.abulk_create(Author(name=str(i)) for i in range(9))
        fetches = []
        original = BridgedCursor.fetchmany

        def fetchmany(cursor, size=0):
            fetches.append((cursor.name, size))
            return original(cursor, size)

        with mock.patch.object(BridgedCursor, "fetchmany", fetchmany):
            names = [a.name async for a in Author.objects.aiterator(chunk_size=4)]
        self.assertEqual(len(names), 10)
        self.assertTrue(all(name for name, _ in fetches))
        self.assertEqual([size for _, size in fetches], [4, 4, 4, 4])

    async def test_aiterator_without_server_side_cursors(self):
        # What PgBouncer's transaction pooling needs: aiterator() reads from
        # plain cursors, still a chunk at a time, and yields every row.
        from django.db.backends.postgresql.native import BridgedCursor

        await Author.objects.abulk_create(Author(name=str(i)) for i in range(9))
        fetches = []
        original = BridgedCursor.fetchmany

        def fetchmany(cursor, size=0):
            fetches.append((getattr(cursor, "name", None), size))
            return original(cursor, size)

        # The pools read the settings dict that connections hold.
        settings_dict = connections["default"].settings_dict
        with mock.patch.dict(settings_dict, {"DISABLE_SERVER_SIDE_CURSORS": True}):
            with mock.patch.object(BridgedCursor, "fetchmany", fetchmany):
                rows = Author.objects.order_by("pk").aiterator(chunk_size=4)
                names = [a.name async for a in rows]
        self.assertEqual(names, ["Ann", *map(str, range(9))])
        self.assertEqual(fetches, [(None, 4)] * 4)

    async def test_closed_pools_leave_newer_ones_registered(self):
        # connections.close_all() from another thread closes a running loop's
        # pools; the loop's next call opens new ones, which the old pools'
        # closing again (at loop shutdown) must leave alone.
        await run_native(backend_pid)
        first = native.pool_for("default", connections)
        await native.aclose_pools()
        await run_native(backend_pid)
        second = native.pool_for("default", connections)
        self.assertIsNot(second, first)
        self.assertIs(first.pool.closed, True)
        await native.aclose_pools()
        self.assertIs(second.pool.closed, True)
        self.assertIsNot(native.pool_for("default", connections), second)

    @skip_behind_a_pooler
    def test_pools_belong_to_their_loop(self):
        async def query():
            pid = await run_native(backend_pid)
            return asyncio.get_running_loop(), pid

        loop1, pid1 = asyncio.run(query())
        loop2, pid2 = asyncio.run(query())
        # Each loop had its own pool, closed when the loop shut down.
        pids = open_pids(gone={pid1[0], pid2[0]})
        self.assertNotIn(pid1[0], pids)
        self.assertNotIn(pid2[0], pids)

    @skip_behind_a_pooler
    def test_close_all_closes_pools_of_stopped_loops(self):
        loop = asyncio.new_event_loop()
        try:
            pid = loop.run_until_complete(run_native(backend_pid))[0]
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        finally:
            # Closed without shutting its generators down: the pool stays.
            loop.close()
        self.assertIn(pid, {pid for pid, _, _ in activity()})
        connections.close_all()
        self.assertNotIn(pid, open_pids(gone={pid}))


@native_on
class NativeTestCaseTests(TestCase):
    """Inside TestCase, native calls see the test's data and roll back."""

    @classmethod
    def setUpTestData(cls):
        cls.author = Author.objects.create(name="Ann")

    async def test_sees_test_data(self):
        self.assertEqual(await Author.objects.aget(), self.author)
        await Author.objects.acreate(name="Bob")
        self.assertEqual(await Author.objects.acount(), 2)

    async def test_writes_are_rolled_back(self):
        await Author.objects.acreate(name="Cy")
        self.assertEqual(await Author.objects.acount(), 2)

    async def test_gather_takes_turns(self):
        counts = await asyncio.gather(*(Author.objects.acount() for _ in range(5)))
        self.assertEqual(counts, [1] * 5)


class NativeConfigurationTests(SimpleTestCase):
    def settings_dict(self, value, engine="django.db.backends.postgresql"):
        return {"ENGINE": engine, "OPTIONS": {"async_pool": value}}

    def test_enabled(self):
        self.assertIs(native.enabled(self.settings_dict(True)), True)
        self.assertIs(native.enabled(self.settings_dict({})), True)
        self.assertIs(native.enabled(self.settings_dict(False)), False)
        self.assertIs(native.enabled({"OPTIONS": {}}), False)

    def test_wrong_type(self):
        msg = (
            "OPTIONS['async_pool'] of database 'default' must be True or a dict "
            "of keyword arguments for the connection pool, not 'yes'."
        )
        with self.assertRaisesMessage(ImproperlyConfigured, msg):
            native.check_support(self.settings_dict("yes"), "default")

    def test_other_backend(self):
        msg = (
            "OPTIONS['async_pool'] of database 'default' isn't supported by the "
            "django.db.backends.sqlite3 backend"
        )
        with self.assertRaisesMessage(ImproperlyConfigured, msg):
            native.check_support(
                self.settings_dict(True, "django.db.backends.sqlite3"), "default"
            )

    def test_missing_greenlet(self):
        msg = "OPTIONS['async_pool'] of database 'default' needs the greenlet package"
        with mock.patch.object(native, "greenlet_available", return_value=False):
            with mock.patch.object(native, "_backend_native_module"):
                with self.assertRaisesMessage(ImproperlyConfigured, msg):
                    native.check_support(self.settings_dict(True), "default")

    def assertImportRefused(self, msg):
        """The backend's native module, imported afresh, refuses to load."""
        name = "django.db.backends.postgresql.native"
        original = sys.modules.pop(name, None)
        try:
            with self.assertRaisesMessage(ImproperlyConfigured, msg):
                native.check_support(self.settings_dict(True), "default")
        finally:
            sys.modules.pop(name, None)
            if original is not None:
                sys.modules[name] = original

    @skipUnless(on_psycopg3(), "psycopg 3 tests")
    def test_missing_pool_package(self):
        with mock.patch.dict(sys.modules, {"psycopg_pool": None}):
            self.assertImportRefused(
                "OPTIONS['async_pool'] needs the psycopg_pool package"
            )

    @skipUnless(connection.vendor == "postgresql", "PostgreSQL tests")
    def test_psycopg2(self):
        with mock.patch("django.db.backends.postgresql.psycopg_any.is_psycopg3", False):
            self.assertImportRefused(
                "OPTIONS['async_pool'] needs psycopg 3 (the psycopg package)"
            )

    @skipUnless(connection.vendor == "postgresql", "PostgreSQL tests")
    def test_refused_at_connection_time(self):
        # The synchronous connection refuses settings the native path can't
        # honor, rather than falling back to threads later.
        from django.db.backends.postgresql.base import DatabaseWrapper

        settings_dict = {
            **connection.settings_dict,
            "OPTIONS": {"async_pool": ["min_size"]},
        }
        wrapper = DatabaseWrapper(settings_dict, "default")
        with self.assertRaisesMessage(ImproperlyConfigured, "must be True or a dict"):
            wrapper.get_connection_params()

    @native_on
    def test_invalid_pool_argument(self):
        from django.db.backends.postgresql.native import NativePool

        settings_dict = connection.settings_dict
        with self.assertRaisesMessage(ImproperlyConfigured, "Invalid OPTIONS"):
            NativePool("default", settings_dict, {"max_sise": 3})
        with self.assertRaisesMessage(ImproperlyConfigured, "can't set 'kwargs'"):
            NativePool("default", settings_dict, {"kwargs": {}})
