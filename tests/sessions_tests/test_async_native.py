"""
The database-backed session engines' a-methods use the ORM's a-methods: on a
database with native execution (OPTIONS["async_pool"]) they hand nothing to a
thread, and elsewhere each takes at most one trip to the worker thread.
"""

import datetime

from thread_hops import runs_natively, thread_hops

from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.contrib.sessions.models import Session
from django.test import TestCase, override_settings


class DatabaseSessionThreadHopsTests(TestCase):
    store_class = DatabaseStore

    def assertHops(self, calls, most_elsewhere=1):
        # The cache's async API runs the sync one in a thread (Django 4.0's
        # BaseCache), so only the database's hops are counted.
        database_calls = [
            func
            for func in calls
            if not getattr(func, "__module__", "").startswith("django.core.cache.")
        ]
        if runs_natively():
            self.assertEqual(database_calls, [])
        else:
            self.assertLessEqual(
                len(database_calls),
                most_elsewhere,
                [getattr(func, "__qualname__", "?") for func in database_calls],
            )

    async def test_acreate(self):
        session = self.store_class()
        await session.aset("colour", "teal")
        with thread_hops() as calls:
            await session.acreate()
        # aexists() for a new key, then the insert.
        self.assertHops(calls, most_elsewhere=2)
        self.assertIs(await session.aexists(session.session_key), True)

    async def test_asave_and_aload(self):
        session = self.store_class()
        await session.aset("colour", "teal")
        await session.asave()
        with thread_hops() as calls:
            await session.aset("size", 3)
            await session.asave()
        self.assertHops(calls)
        loaded = self.store_class(session.session_key)
        with thread_hops() as calls:
            self.assertEqual(await loaded.aget("colour"), "teal")
            self.assertEqual(await loaded.aget("size"), 3)
        self.assertHops(calls)

    async def test_aexists(self):
        session = self.store_class()
        with thread_hops() as calls:
            self.assertIs(await session.aexists("x" * 32), False)
        self.assertHops(calls)

    async def test_adelete(self):
        session = self.store_class()
        await session.aset("colour", "teal")
        await session.asave()
        key = session.session_key
        with thread_hops() as calls:
            await session.adelete()
        self.assertHops(calls)
        self.assertIs(await Session.objects.filter(session_key=key).aexists(), False)
        # A key that doesn't exist is no error.
        await session.adelete("y" * 32)

    async def test_aclear_expired(self):
        with thread_hops() as calls:
            await self.store_class.aclear_expired()
        self.assertHops(calls)

    async def test_acycle_key(self):
        session = self.store_class()
        await session.aset("colour", "teal")
        await session.asave()
        old_key = session.session_key
        await session.acycle_key()
        self.assertNotEqual(session.session_key, old_key)
        self.assertEqual(await session.aget("colour"), "teal")
        self.assertIs(await session.aexists(old_key), False)

    async def test_asave_must_create_existing_key(self):
        session = self.store_class()
        await session.asave()
        clash = self.store_class(session.session_key)
        with self.assertRaises(CreateError):
            await clash.asave(must_create=True)

    async def test_asave_deleted_row(self):
        # Saving a session whose row is gone raises UpdateError, as save().
        session = self.store_class()
        await session.aset("colour", "teal")
        await session.asave()
        await Session.objects.filter(session_key=session.session_key).adelete()
        session.modified = True
        with self.assertRaises(UpdateError):
            await DatabaseStore.asave(session)

    async def test_acreate_model_instance(self):
        session = self.store_class()
        await session.aset("colour", "teal")
        instance = await session.acreate_model_instance({"colour": "teal"})
        self.assertEqual(instance.session_key, session.session_key)
        self.assertEqual(session.decode(instance.session_data), {"colour": "teal"})
        self.assertAlmostEqual(
            instance.expire_date,
            await session.aget_expiry_date(),
            delta=datetime.timedelta(seconds=5),
        )

    def test_sync_reads_async_writes(self):
        from asgiref.sync import async_to_sync

        session = self.store_class()

        async def write():
            await session.aset("colour", "teal")
            await session.asave()

        async_to_sync(write)()
        self.assertEqual(self.store_class(session.session_key)["colour"], "teal")


@override_settings(SESSION_CACHE_ALIAS="default")
class CachedDBSessionThreadHopsTests(DatabaseSessionThreadHopsTests):
    store_class = CachedDBStore

    async def test_aload_from_cache_after_row_is_gone(self):
        session = self.store_class()
        await session.aset("colour", "teal")
        await session.asave()
        await Session.objects.filter(session_key=session.session_key).adelete()
        # The cache still has it.
        loaded = self.store_class(session.session_key)
        self.assertEqual(await loaded.aget("colour"), "teal")

    async def test_aload_fills_cache(self):
        session = self.store_class()
        await session.aset("colour", "teal")
        await session.asave()
        await session._cache.adelete(await session.acache_key())
        loaded = self.store_class(session.session_key)
        self.assertEqual(await loaded.aget("colour"), "teal")
        self.assertEqual(
            await session._cache.aget(await loaded.acache_key()), {"colour": "teal"}
        )

    async def test_adelete_clears_cache(self):
        session = self.store_class()
        await session.aset("colour", "teal")
        await session.asave()
        cache_key = await session.acache_key()
        await session.adelete()
        self.assertIsNone(await session._cache.aget(cache_key))

    async def test_aexists_from_cache(self):
        session = self.store_class()
        await session.asave()
        await Session.objects.filter(session_key=session.session_key).adelete()
        self.assertIs(await session.aexists(session.session_key), True)
