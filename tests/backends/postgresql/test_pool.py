"""
Connection pooling on PostgreSQL with psycopg 3 (OPTIONS["pool"]): wrappers
take their connections from a psycopg_pool.ConnectionPool per alias and give
them back when they close.
"""

import copy
import sys
import time
import unittest
from contextlib import contextmanager
from unittest import mock

from asgiref.sync import async_to_sync

from django.core.exceptions import ImproperlyConfigured
from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.base.creation import BaseDatabaseCreation
from django.db.utils import ConnectionHandler
from django.test import SimpleTestCase, TestCase, TransactionTestCase, override_settings

from ..models import Square

try:
    from django.db.backends.postgresql import base as pg_base
    from django.db.backends.postgresql.psycopg_any import IsolationLevel, is_psycopg3
except (ImportError, ImproperlyConfigured):  # No driver.
    pg_base = None
    is_psycopg3 = False

try:
    import psycopg_pool
except ImportError:
    psycopg_pool = None

on_postgresql = connection.vendor == "postgresql"
needs_pool = unittest.skipUnless(
    on_postgresql and is_psycopg3 and psycopg_pool is not None,
    "PostgreSQL with psycopg 3 and psycopg_pool",
)
# The test-only alias of the wrappers made here, so that their pools never
# replace one that the suite's own connections use.
ALIAS = "pool_tests"


def settings_with(pool=True, alias=DEFAULT_DB_ALIAS, **overrides):
    """A copy of alias's test database settings, with OPTIONS["pool"]."""
    settings_dict = copy.deepcopy(connections[alias].settings_dict)
    options = settings_dict["OPTIONS"]
    # The native async pool is not what these tests are about.
    options.pop("async_pool", None)
    options.update(overrides.pop("OPTIONS", {}))
    options["pool"] = pool
    settings_dict.update(overrides)
    return settings_dict


def pooled(pool=True, alias=ALIAS, **overrides):
    """A DatabaseWrapper on the test database whose connections are pooled."""
    return type(connections[DEFAULT_DB_ALIAS])(settings_with(pool, **overrides), alias)


def backend_pid(conn):
    with conn.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def fetch(conn, sql):
    with conn.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


class PoolCleanupMixin:
    def setUp(self):
        super().setUp()
        self.addCleanup(pg_base.close_pool, ALIAS)

    def wrapper(self, pool=True, **overrides):
        conn = pooled(pool, **overrides)
        self.addCleanup(conn.close)
        return conn


@needs_pool
class PoolTests(PoolCleanupMixin, TransactionTestCase):
    available_apps = ["backends"]
    # test_pool_follows_connection_settings connects to "other".
    databases = {"default", "other"}

    def test_pool_property(self):
        conn = self.wrapper()
        pool = conn.pool
        self.assertIsInstance(pool, psycopg_pool.ConnectionPool)
        self.assertEqual(pool.name, "django-%s" % ALIAS)
        # One pool per alias, whichever wrapper asks.
        self.assertIs(conn.pool, pool)
        self.assertIs(conn.copy().pool, pool)
        # Not opened until a connection is needed.
        self.assertIs(pool.closed, True)
        conn.ensure_connection()
        self.assertIs(pool.closed, False)

    def test_no_pool(self):
        for value in (False, None, {}):
            with self.subTest(value=value):
                conn = self.wrapper(value)
                self.assertIsNone(conn.pool)
                conn.ensure_connection()
                self.assertIsNone(conn._connection_pool)
        self.assertIsNone(
            type(connections[DEFAULT_DB_ALIAS])(settings_with(), NO_DB_ALIAS).pool
        )

    def test_pool_arguments(self):
        conn = self.wrapper({"min_size": 1, "max_size": 3, "name": "mine"})
        self.assertEqual(conn.pool.min_size, 1)
        self.assertEqual(conn.pool.max_size, 3)
        self.assertEqual(conn.pool.name, "mine")

    def test_connection_reused(self):
        conn = self.wrapper({"min_size": 1, "max_size": 1})
        conn.ensure_connection()
        raw, pid = conn.connection, backend_pid(conn)
        conn.close()
        self.assertIsNone(conn.connection)
        self.assertIs(raw.closed, False)
        self.assertEqual(backend_pid(conn), pid)
        self.assertIs(conn.connection, raw)
        # Another wrapper of the alias gets it too, once it is free.
        conn.close()
        other = self.wrapper({"min_size": 1, "max_size": 1})
        self.assertEqual(backend_pid(other), pid)

    def test_close_returns_connection(self):
        conn = self.wrapper({"min_size": 1, "max_size": 1, "timeout": 0.5})
        other = self.wrapper({"min_size": 1, "max_size": 1, "timeout": 0.5})
        pid = backend_pid(conn)
        # The only connection is checked out: the other wrapper waits for it.
        with self.assertRaises(OperationalError):
            other.ensure_connection()
        conn.close()
        self.assertEqual(backend_pid(other), pid)

    def test_close_pool(self):
        conn = self.wrapper({"min_size": 1})
        pool = conn.pool
        conn.ensure_connection()
        raw = conn.connection
        conn.close_pool()
        self.assertIs(pool.closed, True)
        # A connection checked out before is closed when it is given back.
        self.assertIs(raw.closed, False)
        conn.close()
        self.assertIs(raw.closed, True)
        # The next connection comes from a new pool.
        conn.ensure_connection()
        self.assertIsNot(conn.pool, pool)
        self.assertIs(conn.pool.closed, False)
        conn.close()
        conn.close_pool()
        # Closing an alias that has no pool does nothing.
        conn.close_pool()
        self.wrapper(False).close_pool()

    def test_close_all_closes_pools(self):
        handler = ConnectionHandler(
            {DEFAULT_DB_ALIAS: settings_with(False), "pooled": settings_with()}
        )
        handler["pooled"].ensure_connection()
        pool = handler["pooled"].pool
        self.addCleanup(pg_base.close_pool, "pooled")
        handler.close_all()
        self.assertIs(pool.closed, True)
        self.assertIsNone(handler["pooled"].connection)

    def test_pool_follows_connection_settings(self):
        # The test runner renames the database after the settings are read:
        # a pool made for the old name must not serve the new one.
        conn = self.wrapper()
        pool = conn.pool
        conn.ensure_connection()
        conn.close()
        other_name = connections["other"].settings_dict["NAME"]
        conn.settings_dict["NAME"] = other_name
        self.assertIsNot(conn.pool, pool)
        self.assertIs(pool.closed, True)
        self.assertEqual(fetch(conn, "SELECT current_database()"), other_name)
        # Same settings, same pool.
        self.assertIs(conn.pool, conn.pool)

    def test_settings_of_setup_are_part_of_the_pool(self):
        conn = self.wrapper()
        pool = conn.pool
        conn.settings_dict["OPTIONS"]["isolation_level"] = IsolationLevel.SERIALIZABLE
        self.assertIsNot(conn.pool, pool)

    def test_connection_returned_in_transaction_is_rolled_back(self):
        conn = self.wrapper({"min_size": 1, "max_size": 1})
        conn.set_autocommit(False)
        with conn.cursor() as cursor:
            cursor.execute("INSERT INTO backends_square (root, square) VALUES (7, 49)")
        raw = conn.connection
        conn.close()
        # Rolled back before it went back, and still open.
        self.assertIs(raw.closed, False)
        conn.set_autocommit(True)
        self.assertIs(conn.connection, raw)
        self.assertEqual(
            fetch(conn, "SELECT count(*) FROM backends_square WHERE root = 7"), 0
        )

    def test_connection_created_signal(self):
        from django.db.backends.signals import connection_created

        conn = self.wrapper({"min_size": 1, "max_size": 1})
        seen = []

        def receiver(sender, connection, **kwargs):
            seen.append(connection)

        connection_created.connect(receiver)
        self.addCleanup(connection_created.disconnect, receiver)
        conn.ensure_connection()
        conn.close()
        conn.ensure_connection()
        # Sent at each checkout, as when each connection was new.
        self.assertEqual(seen, [conn, conn])

    def test_connection_cut_off_in_pool_is_replaced(self):
        conn = self.wrapper({"min_size": 1, "max_size": 1})
        pid = backend_pid(conn)
        conn.close()
        # As after a server restart or an idle timeout.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):
                cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
                if cursor.fetchone() is None:
                    break
                time.sleep(0.05)
        with self.assertLogs("psycopg.pool", "WARNING"):
            self.assertNotEqual(backend_pid(conn), pid)

    def test_direct_close_drops_connection(self):
        # _close() alone (as some tests call it) must not leave the wrapper
        # holding a connection that the pool can hand to someone else.
        conn = self.wrapper()
        conn.ensure_connection()
        conn._close()
        self.assertIsNone(conn.connection)
        self.assertIsNone(conn._connection_pool)

    def test_forked_process_leaves_parents_pool(self):
        @self.addCleanup
        def forget_child():
            pg_base._pools.pop(ALIAS, None)
            pg_base._inherited_pools.clear()

        conn = self.wrapper({"min_size": 1, "max_size": 1})
        conn.ensure_connection()
        raw, parent_pool = conn.connection, conn.pool
        self.addCleanup(parent_pool.close)
        self.addCleanup(raw.close)
        with mock.patch.object(pg_base.os, "getpid", return_value=-1):
            # The connection is the parent's: not given back to its pool,
            # which the parent's threads may be using, nor closed.
            conn.close()
            self.assertIs(raw.closed, False)
            self.assertIn(raw, pg_base._inherited_pools)
            child_pool = conn.pool
            self.assertIsNot(child_pool, parent_pool)
            self.assertIs(parent_pool.closed, False)
            child_pool.close()


@needs_pool
class PoolTransactionTests(PoolCleanupMixin, TransactionTestCase):
    available_apps = ["backends"]

    @contextmanager
    def pooled_default(self, pool=None):
        """Make the suite's "default" alias pooled for the block."""
        conn = connections[DEFAULT_DB_ALIAS]
        options = conn.settings_dict["OPTIONS"]
        conn.close()
        conn.settings_dict["OPTIONS"] = {
            **options,
            "pool": pool or {"min_size": 1, "max_size": 2},
        }
        try:
            yield conn
        finally:
            conn.close()
            conn.close_pool()
            conn.settings_dict["OPTIONS"] = options

    def test_atomic_commit_and_rollback(self):
        with self.pooled_default() as conn:
            with transaction.atomic():
                Square.objects.create(root=2, square=4)
            self.assertIsNotNone(conn._connection_pool)
            with self.assertRaises(ZeroDivisionError):
                with transaction.atomic():
                    Square.objects.create(root=3, square=9)
                    with transaction.atomic():
                        Square.objects.create(root=4, square=16)
                    1 / 0
            with transaction.atomic():
                Square.objects.create(root=5, square=25)
                try:
                    with transaction.atomic():
                        Square.objects.create(root=6, square=36)
                        raise ValueError
                except ValueError:
                    pass
            conn.close()
            # Committed work survives going back to the pool.
            self.assertEqual(
                list(Square.objects.values_list("root", flat=True).order_by("root")),
                [2, 5],
            )

    def test_on_commit(self):
        with self.pooled_default():
            done = []
            with transaction.atomic():
                transaction.on_commit(lambda: done.append(1))
                self.assertEqual(done, [])
            self.assertEqual(done, [1])

    def test_autocommit_false(self):
        with self.pooled_default() as conn:
            conn.settings_dict["AUTOCOMMIT"] = False
            self.addCleanup(conn.settings_dict.__setitem__, "AUTOCOMMIT", True)
            self.assertIs(conn.get_autocommit(), False)
            Square.objects.create(root=8, square=64)
            conn.commit()
            conn.close()
            conn.settings_dict["AUTOCOMMIT"] = True
            self.assertIs(conn.get_autocommit(), True)
            self.assertTrue(Square.objects.filter(root=8).exists())

    def test_close_in_atomic_block(self):
        with self.pooled_default({"min_size": 1, "max_size": 1}) as conn:
            with self.assertLogs("psycopg.pool", "WARNING"):
                with self.assertRaises(DatabaseError):
                    with transaction.atomic():
                        Square.objects.create(root=1, square=1)
                        raw = conn.connection
                        conn.close()
                        # As without a pool: the block keeps the connection,
                        # closed, until it ends.
                        self.assertIs(conn.connection, raw)
                        self.assertIs(raw.closed, True)
                        Square.objects.count()
            self.assertIsNone(conn.connection)
            # The pool replaced its only connection.
            self.assertEqual(Square.objects.count(), 0)
            self.assertIsNot(conn.connection, raw)

    @unittest.skipUnless(
        (connection.settings_dict["OPTIONS"] or {}).get("async_pool"),
        "native asynchronous execution (--native)",
    )
    def test_with_async_pool(self):
        # Both pools on one alias: sync code on the pool, the async ORM on the
        # native pool, whose connection arguments must not include "pool".
        from django.db.backends.postgresql import native as pg_native

        async def count():
            return await Square.objects.filter(root=9).acount()

        with self.pooled_default() as conn:
            Square.objects.create(root=9, square=81)
            self.assertIsNotNone(conn._connection_pool)
            with mock.patch.object(
                pg_native.NativePool,
                "getconn",
                autospec=True,
                side_effect=pg_native.NativePool.getconn,
            ) as getconn:
                self.assertEqual(async_to_sync(count)(), 1)
            getconn.assert_called()


class RoleTestsMixin:
    role = "django_pool_role"

    @classmethod
    def create_role(cls):
        with connection.cursor() as cursor:
            cursor.execute('CREATE ROLE "%s"' % cls.role)
            cursor.execute('GRANT "%s" TO CURRENT_USER' % cls.role)

    @classmethod
    def drop_role(cls):
        with connection.cursor() as cursor:
            cursor.execute('DROP ROLE "%s"' % cls.role)


@needs_pool
class PoolSetupTests(PoolCleanupMixin, RoleTestsMixin, TransactionTestCase):
    """The pool sets its connections up as the backend sets up its own."""

    available_apps = []

    def raw_from_pool(self, conn):
        # Straight from the pool, without the wrapper's checkout.
        raw = conn.pool.getconn()
        self.addCleanup(conn.pool.putconn, raw)
        return raw

    @override_settings(USE_TZ=True)
    def test_time_zone(self):
        conn = self.wrapper(TIME_ZONE="Asia/Tokyo")
        conn.pool.open()
        raw = self.raw_from_pool(conn)
        self.assertEqual(raw.info.parameter_status("TimeZone"), "Asia/Tokyo")
        self.assertEqual(fetch(conn, "SHOW TimeZone"), "Asia/Tokyo")

    @override_settings(USE_TZ=False, TIME_ZONE="America/Chicago")
    def test_time_zone_change_followed_at_checkout(self):
        conn = self.wrapper({"min_size": 1, "max_size": 1})
        pid = backend_pid(conn)
        self.assertEqual(fetch(conn, "SHOW TimeZone"), "America/Chicago")
        conn.close()
        with override_settings(TIME_ZONE="Europe/Paris"):
            del conn.timezone_name
            # The same connection, set to the new time zone.
            self.assertEqual(backend_pid(conn), pid)
            self.assertEqual(fetch(conn, "SHOW TimeZone"), "Europe/Paris")

    def test_isolation_level(self):
        conn = self.wrapper(OPTIONS={"isolation_level": IsolationLevel.REPEATABLE_READ})
        conn.pool.open()
        raw = self.raw_from_pool(conn)
        self.assertEqual(raw.isolation_level, IsolationLevel.REPEATABLE_READ)
        conn.set_autocommit(False)
        self.assertEqual(fetch(conn, "SHOW transaction_isolation"), "repeatable read")
        self.assertEqual(conn.isolation_level, IsolationLevel.REPEATABLE_READ)
        conn.rollback()
        conn.set_autocommit(True)

    def test_role(self):
        self.create_role()
        self.addCleanup(self.drop_role)
        conn = self.wrapper({"min_size": 2}, OPTIONS={"assume_role": self.role})
        self.addCleanup(conn.close_pool)
        # Both connections opened (and set up) before configure_role is mocked.
        conn.pool.open(wait=True)
        raw = self.raw_from_pool(conn)
        self.assertEqual(raw.execute("SELECT current_user").fetchone()[0], self.role)
        self.assertEqual(fetch(conn, "SELECT current_user"), self.role)
        # Not set again at each checkout: the pool did it once.
        conn.close()
        with mock.patch.object(pg_base, "configure_role") as configure_role:
            self.assertEqual(fetch(conn, "SELECT current_user"), self.role)
        configure_role.assert_not_called()

    def test_adapters(self):
        conn = self.wrapper()
        conn.pool.open()
        raw = self.raw_from_pool(conn)
        # jsonb is read as text, as on the backend's own connections.
        self.assertEqual(raw.execute("SELECT '{}'::jsonb").fetchone()[0], "{}")
        self.assertIs(
            raw.server_cursor_factory, pg_base.ServerSideCursor
        )  # For iterator().

    def test_server_side_cursor(self):
        conn = self.wrapper()
        with conn.chunked_cursor() as cursor:
            cursor.execute("SELECT generate_series(1, 3)")
            self.assertEqual([row[0] for row in cursor.fetchall()], [1, 2, 3])


@needs_pool
class PooledTestCaseTests(TestCase):
    """A TestCase whose database is pooled keeps its transactions."""

    @classmethod
    def setUpClass(cls):
        cls.options = connection.settings_dict["OPTIONS"]
        connection.close()
        connection.settings_dict["OPTIONS"] = {
            **cls.options,
            "pool": {"min_size": 1, "max_size": 2},
        }
        try:
            super().setUpClass()
        except Exception:
            cls.restore()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.restore()

    @classmethod
    def restore(cls):
        connection.close()
        connection.close_pool()
        connection.settings_dict["OPTIONS"] = cls.options

    @classmethod
    def setUpTestData(cls):
        Square.objects.create(root=10, square=100)

    def test_connection_is_pooled(self):
        self.assertIsNotNone(connection.pool)
        self.assertIsNotNone(connection._connection_pool)
        self.assertIs(connection.in_atomic_block, True)

    def test_sees_test_data_and_rolls_back_a(self):
        self.assertEqual(Square.objects.count(), 1)
        Square.objects.create(root=11, square=121)
        self.assertEqual(Square.objects.count(), 2)

    def test_sees_test_data_and_rolls_back_b(self):
        self.assertEqual(Square.objects.count(), 1)
        Square.objects.create(root=12, square=144)
        self.assertEqual(Square.objects.count(), 2)

    def test_on_commit_captured(self):
        done = []
        with self.captureOnCommitCallbacks(execute=True):
            transaction.on_commit(lambda: done.append(1))
        self.assertEqual(done, [1])

    async def test_async_query(self):
        self.assertEqual(await Square.objects.filter(root=10).acount(), 1)


@unittest.skipUnless(on_postgresql and is_psycopg3, "PostgreSQL with psycopg 3")
class PoolConfigurationErrorTests(SimpleTestCase):
    def assertRefused(self, message, pool=True, **overrides):
        conn = pooled(pool, **overrides)
        with self.assertRaisesMessage(ImproperlyConfigured, message):
            conn.pool
        with self.assertRaisesMessage(ImproperlyConfigured, message):
            conn.ensure_connection()
        self.assertIsNone(conn.connection)

    def test_persistent_connections(self):
        for max_age in (60, None):
            with self.subTest(max_age=max_age):
                self.assertRefused(
                    "Pooling doesn't support persistent connections.",
                    CONN_MAX_AGE=max_age,
                )

    def test_not_true_or_dict(self):
        self.assertRefused(
            "OPTIONS['pool'] of database 'pool_tests' must be True or a dict of "
            "keyword arguments for psycopg_pool.ConnectionPool, not 'yes'.",
            "yes",
        )

    def test_reserved_arguments(self):
        for name in ("conninfo", "kwargs", "configure", "open"):
            with self.subTest(name=name):
                self.assertRefused(
                    "OPTIONS['pool'] of database 'pool_tests' can't set %r: Django "
                    "sets it from the database's settings." % name,
                    {name: None},
                )

    def test_psycopg2(self):
        with mock.patch.object(pg_base, "is_psycopg3", False):
            self.assertRefused("Database pooling requires psycopg >= 3")
            conn = pooled()
            with self.assertRaisesMessage(
                ImproperlyConfigured, "Database pooling requires psycopg >= 3"
            ):
                conn.get_connection_params()

    def test_psycopg_pool_missing(self):
        with mock.patch.dict(sys.modules, {"psycopg_pool": None}):
            self.assertRefused(
                "OPTIONS['pool'] of database 'pool_tests' needs the psycopg_pool "
                "package (import of psycopg_pool halted; None in sys.modules); "
                "install psycopg[pool]."
            )

    @unittest.skipIf(psycopg_pool is not None, "psycopg_pool is installed")
    def test_psycopg_pool_not_installed(self):
        self.assertRefused(
            "OPTIONS['pool'] of database 'pool_tests' needs the psycopg_pool package"
        )

    @unittest.skipIf(psycopg_pool is None, "psycopg_pool isn't installed")
    def test_invalid_arguments(self):
        self.assertRefused(
            "Invalid OPTIONS['pool'] of database 'pool_tests': ",
            {"min_sizes": 2},
        )
        self.assertRefused(
            "Invalid OPTIONS['pool'] of database 'pool_tests': ",
            {"num_workers": 0},
        )

    def test_impossible_sizes(self):
        # The checks and messages of OPTIONS['async_pool'].
        self.assertRefused(
            "OPTIONS['pool'] of database 'pool_tests' sets 'min_size' (4) above "
            "'max_size' (2).",
            {"min_size": 4, "max_size": 2},
        )
        self.assertRefused(
            "OPTIONS['pool']['max_size'] of database 'pool_tests' must be an "
            "integer of at least 1, not 0.",
            {"max_size": 0},
        )

    @unittest.skipIf(psycopg_pool is None, "psycopg_pool isn't installed")
    def test_no_pool_made_on_error(self):
        with self.assertRaises(ImproperlyConfigured):
            pooled({"min_sizes": 2}).pool
        self.assertNotIn(ALIAS, pg_base._pools)


@unittest.skipUnless(on_postgresql and not is_psycopg3, "PostgreSQL with psycopg2")
class Psycopg2PoolTests(SimpleTestCase):
    def test_refused(self):
        conn = pooled()
        for attempt in (lambda: conn.pool, conn.ensure_connection):
            with self.assertRaisesMessage(
                ImproperlyConfigured, "Database pooling requires psycopg >= 3"
            ):
                attempt()

    def test_off(self):
        conn = pooled(False)
        self.assertIsNone(conn.pool)
        conn.close_pool()


@needs_pool
class TestDatabaseCreationTests(PoolCleanupMixin, TestCase):
    def test_destroy_closes_pool(self):
        conn = self.wrapper()
        pool = conn.pool
        with mock.patch.object(BaseDatabaseCreation, "_destroy_test_db") as destroy:
            conn.creation._destroy_test_db("test_nothing", verbosity=0)
        destroy.assert_called_once_with("test_nothing", 0)
        self.assertIs(pool.closed, True)
        self.assertNotIn(ALIAS, pg_base._pools)

    def test_clone_closes_pool(self):
        conn = self.wrapper()
        pool = conn.pool

        @contextmanager
        def nodb_cursor():
            # The template's pool is closed before CREATE DATABASE runs.
            self.assertNotIn(ALIAS, pg_base._pools)
            yield mock.Mock()

        with mock.patch.object(
            conn.creation, "_nodb_cursor", nodb_cursor
        ), mock.patch.object(conn.creation, "_execute_create_test_db") as create:
            conn.creation._clone_test_db("1", verbosity=0)
        create.assert_called_once()
        self.assertIs(pool.closed, True)
