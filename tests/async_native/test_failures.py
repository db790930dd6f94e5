"""
What native calls raise when the pool can't open connections (a wrong
database, port, role or password) or can't be built (impossible sizes): the
server's or Django's error, at once rather than after the pool's timeout.
"""

import asyncio
import contextlib
import os
import socket
from unittest import mock, skipUnless

from asgiref.sync import sync_to_async

from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connection, connections, native
from django.test import SimpleTestCase, TransactionTestCase

from .models import Author
from .tests import native_on, on_psycopg3, run_native

# Far longer than any test here may take: a call that waited for it would
# fail the guard (GUARD seconds) instead.
POOL_TIMEOUT = 30
GUARD = 10


def current_database():
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT current_database()")
        return cursor.fetchone()[0]


def free_port():
    """A port on 127.0.0.1 where nothing listens (for a moment at least)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def behind_a_pooler():
    """Whether a pooler (PgBouncer) answers logins instead of the server."""
    default = connections["default"]
    with default.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    return pid != default.connection.info.backend_pid


@contextlib.asynccontextmanager
async def pools_with(pool_options, **changes):
    """
    Give the running loop new pools, for the default alias's settings with
    changes and OPTIONS["async_pool"] = pool_options, and close them after.
    """
    settings_dict = connections["default"].settings_dict
    options = {**settings_dict["OPTIONS"], "async_pool": pool_options}
    with mock.patch.dict(settings_dict, {**changes, "OPTIONS": options}):
        await native.aclose_pools()
        try:
            yield
        finally:
            await native.aclose_pools()


@native_on
class NativeConnectionFailureTests(TransactionTestCase):
    """A pool that can't open connections fails each call with the reason."""

    available_apps = ["async_native"]

    def setUp(self):
        self.pooler = behind_a_pooler()

    def skip_behind_a_pooler(self):
        if self.pooler:
            self.skipTest("A connection pooler answers logins instead of the server.")

    async def assertFailsAtOnce(self, message, **changes):
        """
        Two calls on the default alias with changes in its settings each raise
        Django's OperationalError with message, from the driver's error, long
        before the pool's timeout; each makes a new connection attempt.
        """
        options = {"min_size": 2, "max_size": 4, "timeout": POOL_TIMEOUT}
        async with pools_with(options, **changes):
            import psycopg

            for _ in range(2):
                with self.assertRaisesMessage(OperationalError, message) as caught:
                    await asyncio.wait_for(Author.objects.acount(), GUARD)
                error = caught.exception
                self.assertIs(type(error), OperationalError)
                self.assertIsInstance(error.__cause__, psycopg.OperationalError)
                self.assertEqual(error.args, error.__cause__.args)
            stats = native.pool_for("default", connections).pool.get_stats()
            self.assertGreaterEqual(stats["connections_errors"], 2)
            self.assertEqual(stats.get("requests_waiting", 0), 0)
        return error

    async def test_database_does_not_exist(self):
        self.skip_behind_a_pooler()
        await self.assertFailsAtOnce(
            'database "asyncorm_native_no_such_db" does not exist',
            NAME="asyncorm_native_no_such_db",
        )

    async def test_port_without_a_server(self):
        port = free_port()
        error = await self.assertFailsAtOnce(
            "Connection refused", HOST="127.0.0.1", PORT=str(port)
        )
        self.assertIn(str(port), str(error))

    async def test_role_does_not_exist(self):
        self.skip_behind_a_pooler()
        await self.assertFailsAtOnce(
            'role "asyncorm_native_no_such_role" does not exist',
            USER="asyncorm_native_no_such_role",
        )

    async def test_wrong_password(self):
        self.skip_behind_a_pooler()
        import psycopg

        settings_dict = connections["default"].settings_dict
        wrong = (settings_dict["PASSWORD"] or "") + "-wrong"
        try:
            probe = await psycopg.AsyncConnection.connect(
                host=settings_dict["HOST"] or None,
                port=settings_dict["PORT"] or None,
                user=settings_dict["USER"],
                dbname=settings_dict["NAME"],
                password=wrong,
            )
        except psycopg.OperationalError:
            pass
        else:
            await probe.close()
            self.skipTest(
                "The server doesn't check passwords for this user and host "
                "(trust authentication in pg_hba.conf)."
            )
        await self.assertFailsAtOnce("password authentication failed", PASSWORD=wrong)

    async def test_database_that_comes_back(self):
        # A call after the server has come back (here: after the missing
        # database was created) gets a connection.
        self.skip_behind_a_pooler()
        name = "asyncorm_native_comes_back_%d" % os.getpid()
        options = {"min_size": 1, "max_size": 2, "timeout": POOL_TIMEOUT}

        def create(sql):
            with connections["default"].cursor() as cursor:
                cursor.execute(sql % connection.ops.quote_name(name))

        async with pools_with(options, NAME=name):
            with self.assertRaisesMessage(OperationalError, "does not exist"):
                await asyncio.wait_for(Author.objects.acount(), GUARD)
            await sync_to_async(create)("CREATE DATABASE %s")
            try:
                database = await asyncio.wait_for(run_native(current_database), GUARD)
                self.assertEqual(database, name)
                self.assertEqual(
                    await asyncio.gather(*(run_native(current_database),) * 3),
                    [name] * 3,
                )
            finally:
                await native.aclose_pools()
                await sync_to_async(create)("DROP DATABASE %s WITH (FORCE)")

    async def test_no_new_connection_while_others_are_in_use(self):
        # With a connection in use, a call waits for it (for the pool's
        # timeout) while the pool can't open another, and then says why.
        options = {"min_size": 1, "max_size": 2, "timeout": 0.5}
        async with pools_with(options):
            await Author.objects.acreate(name="Ann")
            await native.arelease_connections()
            rows = Author.objects.aiterator(chunk_size=1)
            self.assertEqual((await rows.__anext__()).name, "Ann")
            pool = native.pool_for("default", connections).pool
            dbname = pool.kwargs["dbname"]
            pool.kwargs["dbname"] = "asyncorm_native_no_such_db"
            # The pool may be opening a connection it grows by: let it.
            for _ in range(100):
                stats = pool.get_stats()
                if stats["pool_available"] + pool.in_use == stats["pool_size"]:
                    break
                await asyncio.sleep(0.01)
            # Close the idle connections: the pool tries to open new ones.
            await pool.drain()
            msg = (
                "couldn't get a connection after 0.50 sec from the async pool of "
                "database 'default', which can't open one: "
            )
            with self.assertRaisesMessage(OperationalError, msg) as caught:
                await asyncio.wait_for(Author.objects.acount(), GUARD)
            self.assertIn(
                'database "asyncorm_native_no_such_db" does not exist',
                str(caught.exception),
            )
            pool.kwargs["dbname"] = dbname
            await rows.aclose()
            self.assertEqual(await Author.objects.acount(), 1)

    async def test_invalid_sizes(self):
        msg = (
            "OPTIONS['async_pool']['max_size'] of database 'default' must be an "
            "integer of at least 1, not 0."
        )
        async with pools_with({"max_size": 0}):
            with self.assertRaisesMessage(ImproperlyConfigured, msg):
                await asyncio.wait_for(Author.objects.acount(), GUARD)


@native_on
class NativePoolSizeTests(TransactionTestCase):
    available_apps = ["async_native"]

    async def test_max_size_below_the_default_min_size(self):
        # psycopg_pool's min_size defaults to 4: the pool takes max_size then.
        for max_size in (1, 2, 3):
            with self.subTest(max_size=max_size):
                async with pools_with({"max_size": max_size}):
                    counts = await asyncio.wait_for(
                        asyncio.gather(
                            *(Author.objects.acount() for _ in range(max_size + 1))
                        ),
                        GUARD,
                    )
                    self.assertEqual(counts, [0] * (max_size + 1))
                    pool = native.pool_for("default", connections).pool
                    self.assertEqual((pool.min_size, pool.max_size), (max_size,) * 2)

    async def test_sizes_given(self):
        for options, sizes in (
            ({"max_size": 6}, (4, 6)),
            ({"min_size": 1, "max_size": 2}, (1, 2)),
            ({"min_size": 2}, (2, 2)),
            ({"min_size": 0, "max_size": 1}, (0, 1)),
            ({"min_size": 1, "max_size": None}, (1, 1)),
            ({}, (4, 4)),
        ):
            with self.subTest(options=options):
                async with pools_with(options):
                    self.assertEqual(await Author.objects.acount(), 0)
                    pool = native.pool_for("default", connections).pool
                    self.assertEqual((pool.min_size, pool.max_size), sizes)


class NativePoolSizeConfigurationTests(SimpleTestCase):
    def check(self, value):
        settings_dict = {
            "ENGINE": "django.db.backends.postgresql",
            "OPTIONS": {"async_pool": value},
        }
        return native.check_option(settings_dict, "default")

    def test_impossible_sizes(self):
        prefix = "OPTIONS['async_pool']['%s'] of database 'default' must be an "
        for value, msg in (
            ({"max_size": 0}, prefix % "max_size" + "integer of at least 1, not 0."),
            ({"max_size": -3}, prefix % "max_size" + "integer of at least 1, not -3."),
            ({"min_size": -1}, prefix % "min_size" + "integer of at least 0, not -1."),
            (
                {"min_size": 2.5},
                prefix % "min_size" + "integer of at least 0, not 2.5.",
            ),
            (
                {"max_size": "10"},
                prefix % "max_size" + "integer of at least 1, not '10'.",
            ),
            (
                {"max_size": True},
                prefix % "max_size" + "integer of at least 1, not True.",
            ),
            (
                {"min_size": None},
                prefix % "min_size" + "integer of at least 0, not None.",
            ),
            (
                {"min_size": 3, "max_size": 2},
                "OPTIONS['async_pool'] of database 'default' sets 'min_size' (3) "
                "above 'max_size' (2).",
            ),
            (
                {"min_size": 0},
                "OPTIONS['async_pool'] of database 'default' sets 'min_size' to 0: "
                "it also needs a 'max_size' of at least 1 (max_size defaults to "
                "min_size).",
            ),
        ):
            with self.subTest(value=value):
                with self.assertRaisesMessage(ImproperlyConfigured, msg):
                    self.check(value)

    def test_possible_sizes(self):
        self.assertEqual(self.check({"max_size": 2}), {"max_size": 2})
        self.assertEqual(self.check({"max_size": None}), {})
        self.assertEqual(
            self.check({"min_size": 0, "max_size": 1}), {"min_size": 0, "max_size": 1}
        )
        self.assertEqual(self.check(True), {})

    @skipUnless(connection.vendor == "postgresql", "PostgreSQL tests")
    def test_refused_at_connection_time(self):
        from django.db.backends.postgresql.base import DatabaseWrapper

        settings_dict = {
            **connection.settings_dict,
            "OPTIONS": {"async_pool": {"min_size": 5, "max_size": 2}},
        }
        wrapper = DatabaseWrapper(settings_dict, "default")
        with self.assertRaisesMessage(ImproperlyConfigured, "'min_size' (5) above"):
            wrapper.get_connection_params()

    @skipUnless(on_psycopg3(), "psycopg 3 tests")
    @native_on
    def test_pool_arguments(self):
        from django.db.backends.postgresql.native import NativePool

        settings_dict = connection.settings_dict
        msg = (
            "OPTIONS['async_pool'] of database 'default' can't set "
            "'reconnect_timeout': the pool doesn't retry"
        )
        with self.assertRaisesMessage(ImproperlyConfigured, msg):
            NativePool("default", settings_dict, {"reconnect_timeout": 5})
        msg = "Invalid OPTIONS['async_pool'] of database 'default': num_workers"
        with self.assertRaisesMessage(ImproperlyConfigured, msg):
            NativePool("default", settings_dict, {"num_workers": 0})
