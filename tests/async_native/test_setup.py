"""
The native pool sets its connections up as the backend sets up its own
(django.db.backends.postgresql.base.ConnectionSetup): isolation level, role,
time zone, and the connection_created signal.
"""

import contextlib
from unittest import mock

from django.db import connections, native, transaction
from django.db.backends.signals import connection_created
from django.test import TransactionTestCase, override_settings

from .tests import behind_pgbouncer, native_on, run_native


def fetch(sql):
    with connections["default"].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def fetch_in_transaction(sql):
    # The isolation level applies to transactions, not to autocommit.
    with transaction.atomic():
        return fetch(sql)


@contextlib.asynccontextmanager
async def options_with(**options):
    """Give the running loop new pools, for these OPTIONS, and close them after."""
    settings_dict = connections["default"].settings_dict
    with mock.patch.dict(settings_dict["OPTIONS"], options):
        await native.aclose_pools()
        try:
            yield
        finally:
            await native.aclose_pools()


@native_on
class NativeConnectionSetupTests(TransactionTestCase):
    available_apps = ["async_native"]

    @property
    def role(self):
        # Roles belong to the whole cluster: one per test database, so that
        # parallel workers and concurrent runs don't share one.
        return "%s_role" % connections["default"].settings_dict["NAME"]

    def create_role(self):
        with connections["default"].cursor() as cursor:
            cursor.execute('DROP ROLE IF EXISTS "%s"' % self.role)
            cursor.execute('CREATE ROLE "%s"' % self.role)
            cursor.execute('GRANT "%s" TO CURRENT_USER' % self.role)

    def drop_role(self):
        with connections["default"].cursor() as cursor:
            cursor.execute('DROP ROLE "%s"' % self.role)

    async def test_isolation_level(self):
        from django.db.backends.postgresql.psycopg_any import IsolationLevel

        async with options_with(isolation_level=IsolationLevel.REPEATABLE_READ):
            self.assertEqual(
                await run_native(fetch_in_transaction, "SHOW transaction_isolation"),
                "repeatable read",
            )

    async def test_role(self):
        if behind_pgbouncer():
            # SET ROLE is session state: PgBouncer's transaction pooling would
            # hand the role to the other clients of that server connection.
            self.skipTest("assume_role can't be used behind PgBouncer")
        await run_native(self.create_role)
        try:
            async with options_with(assume_role=self.role):
                self.assertEqual(
                    await run_native(fetch, "SELECT current_user"), self.role
                )
        finally:
            await run_native(self.drop_role)

    @override_settings(USE_TZ=True)
    async def test_time_zone(self):
        settings_dict = connections["default"].settings_dict
        with mock.patch.dict(settings_dict, {"TIME_ZONE": "Asia/Tokyo"}):
            async with options_with():
                self.assertEqual(await run_native(fetch, "SHOW TimeZone"), "Asia/Tokyo")

    async def test_connection_created(self):
        received = []

        def receiver(sender, connection, **kwargs):
            received.append(connection.alias)

        connection_created.connect(receiver)
        try:
            async with options_with():
                await run_native(fetch, "SELECT 1")
        finally:
            connection_created.disconnect(receiver)
        self.assertIn("default", received)
