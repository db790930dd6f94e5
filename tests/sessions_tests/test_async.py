import shutil
import tempfile
from datetime import timedelta

from asgiref.sync import async_to_sync

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase, UpdateError
from django.contrib.sessions.backends.cache import SessionStore as CacheSession
from django.contrib.sessions.backends.cached_db import SessionStore as CacheDBSession
from django.contrib.sessions.backends.db import SessionStore as DatabaseSession
from django.contrib.sessions.backends.file import SessionStore as FileSession
from django.contrib.sessions.backends.signed_cookies import (
    SessionStore as CookieSession,
)
from django.core.cache.backends.locmem import LocMemCache
from django.test import SimpleTestCase, TestCase, override_settings
from django.utils import timezone


class AsyncSessionTestsMixin:
    """The asynchronous session API, run against each engine."""

    backend = None
    # Whether a saved session can be found again by its key.
    stores_by_key = True

    def setUp(self):
        self.session = self.backend()
        super().setUp()

    async def saved_session(self, **data):
        session = self.backend()
        await session.aupdate(data)
        await session.asave()
        return session

    async def test_aset_aget(self):
        await self.session.aset("cat", "Tom")
        self.assertIs(self.session.modified, True)
        self.assertIs(self.session.accessed, True)
        self.assertEqual(await self.session.aget("cat"), "Tom")
        self.assertEqual(await self.session.aget("dog", "none"), "none")

    async def test_apop(self):
        await self.session.aset("cat", "Tom")
        self.session.modified = False
        self.assertEqual(await self.session.apop("cat"), "Tom")
        self.assertIs(self.session.modified, True)
        self.assertIsNone(await self.session.aget("cat"))

    async def test_apop_default(self):
        self.assertEqual(await self.session.apop("missing", "default"), "default")
        self.assertIsNone(await self.session.apop("missing", None))
        self.assertIs(self.session.modified, False)

    async def test_apop_missing_key(self):
        with self.assertRaises(KeyError):
            await self.session.apop("missing")

    async def test_asetdefault(self):
        self.assertEqual(await self.session.asetdefault("cat", "Tom"), "Tom")
        self.assertIs(self.session.modified, True)
        self.assertEqual(await self.session.asetdefault("cat", "Felix"), "Tom")

    async def test_aupdate_and_views(self):
        await self.session.aupdate({"a": 1, "b": 2})
        self.assertIs(self.session.modified, True)
        self.assertIs(await self.session.ahas_key("a"), True)
        self.assertIs(await self.session.ahas_key("z"), False)
        self.assertEqual(sorted(await self.session.akeys()), ["a", "b"])
        self.assertEqual(sorted(await self.session.avalues()), [1, 2])
        self.assertEqual(sorted(await self.session.aitems()), [("a", 1), ("b", 2)])

    async def test_test_cookie(self):
        self.assertIs(await self.session.atest_cookie_worked(), False)
        await self.session.aset_test_cookie()
        self.assertIs(await self.session.atest_cookie_worked(), True)
        await self.session.adelete_test_cookie()
        self.assertIs(await self.session.atest_cookie_worked(), False)

    async def test_asave_and_aload(self):
        session = await self.saved_session(cat="Tom")
        self.assertIsNotNone(session.session_key)
        if self.stores_by_key:
            self.assertIs(await session.aexists(session.session_key), True)
        reloaded = self.backend(session.session_key)
        self.assertEqual(await reloaded.aget("cat"), "Tom")
        self.assertEqual(await reloaded.aload(), {"cat": "Tom"})

    async def test_acreate(self):
        await self.session.acreate()
        self.assertIs(self.session.modified, True)
        if self.stores_by_key:
            self.assertIsNotNone(self.session.session_key)
            self.assertIs(await self.session.aexists(self.session.session_key), True)

    async def test_adelete(self):
        session = await self.saved_session(cat="Tom")
        key = session.session_key
        await session.adelete()
        if self.stores_by_key:
            self.assertEqual(await self.backend(key).aload(), {})
            self.assertIs(await session.aexists(key), False)

    async def test_aexists_unknown_key(self):
        self.assertIs(await self.session.aexists("unknownkeyunknownkey"), False)

    async def test_aflush(self):
        session = await self.saved_session(cat="Tom")
        key = session.session_key
        await session.aflush()
        self.assertIsNone(session.session_key)
        self.assertEqual(list(await session.akeys()), [])
        self.assertIs(session.modified, True)
        if self.stores_by_key:
            self.assertEqual(await self.backend(key).aload(), {})

    async def test_acycle_key(self):
        session = await self.saved_session(cat="Tom")
        key = session.session_key
        await session.acycle_key()
        self.assertEqual(await session.aget("cat"), "Tom")
        await session.asave()
        self.assertEqual(await self.backend(session.session_key).aget("cat"), "Tom")
        if self.stores_by_key:
            self.assertNotEqual(session.session_key, key)
            self.assertIs(await session.aexists(key), False)

    async def test_expiry(self):
        self.assertEqual(
            await self.session.aget_expiry_age(), settings.SESSION_COOKIE_AGE
        )
        self.assertIs(
            await self.session.aget_expire_at_browser_close(),
            settings.SESSION_EXPIRE_AT_BROWSER_CLOSE,
        )
        await self.session.aset_expiry(60)
        self.assertEqual(await self.session.aget_expiry_age(), 60)
        self.assertIs(await self.session.aget_expire_at_browser_close(), False)
        await self.session.aset_expiry(timedelta(seconds=600))
        self.assertAlmostEqual(await self.session.aget_expiry_age(), 600, delta=5)
        date = await self.session.aget_expiry_date()
        self.assertAlmostEqual((date - timezone.now()).total_seconds(), 600, delta=5)
        await self.session.aset_expiry(0)
        self.assertIs(await self.session.aget_expire_at_browser_close(), True)
        await self.session.aset_expiry(None)
        self.assertIsNone(await self.session.aget("_session_expiry"))

    async def test_expiry_arguments_skip_loading(self):
        session = self.backend("nonexistentkeynonexistent")
        modification = timezone.now()
        self.assertEqual(
            await session.aget_expiry_age(modification=modification, expiry=30), 30
        )
        self.assertEqual(
            await session.aget_expiry_date(modification=modification, expiry=30),
            modification + timedelta(seconds=30),
        )
        self.assertIs(session.accessed, False)

    async def test_aclear_expired(self):
        await self.backend.aclear_expired()

    def test_sync_reads_what_async_wrote(self):
        session = async_to_sync(self.saved_session)(cat="Tom")
        self.assertEqual(self.backend(session.session_key)["cat"], "Tom")


class SaveDeletedSessionTestsMixin:
    """For the engines whose save() refuses a session deleted meanwhile."""

    async def test_asave_deleted_session(self):
        session = await self.saved_session(cat="Tom")
        await self.backend().adelete(session.session_key)
        await session.aset("cat", "Felix")
        with self.assertRaises(UpdateError):
            await session.asave()


class DatabaseAsyncSessionTests(
    SaveDeletedSessionTestsMixin, AsyncSessionTestsMixin, TestCase
):
    backend = DatabaseSession

    async def test_aclear_expired_removes_rows(self):
        session = self.backend()
        await session.aset_expiry(-3600)
        await session.asave()
        key = session.session_key
        await self.backend.aclear_expired()
        self.assertIs(await self.backend().aexists(key), False)


class UnwritableCache(LocMemCache):
    """A cache whose writes fail, as when its server is down."""

    def set(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable")

    async def aset(self, *args, **kwargs):
        raise ConnectionError("cache server unreachable")


class CacheDBAsyncSessionTests(AsyncSessionTestsMixin, TestCase):
    backend = CacheDBSession

    def assertCacheErrorLogged(self, logs, session):
        # A new session is saved twice (create() saves it first).
        for record in logs.records:
            self.assertEqual(
                record.getMessage(), f"Error saving to cache ({session._cache})"
            )
            self.assertIsInstance(record.exc_info[1], ConnectionError)

    @override_settings(
        CACHES={"default": {"BACKEND": "sessions_tests.test_async.UnwritableCache"}}
    )
    def test_save_logs_cache_error(self):
        # The database has the session: a failing cache costs only a log entry.
        session = self.backend()
        session["fruit"] = "pear"
        with self.assertLogs("django.contrib.sessions", "ERROR") as logs:
            session.save()
        self.assertCacheErrorLogged(logs, session)
        self.assertIs(self.backend().exists(session.session_key), True)

    @override_settings(
        CACHES={"default": {"BACKEND": "sessions_tests.test_async.UnwritableCache"}}
    )
    async def test_asave_logs_cache_error(self):
        session = self.backend()
        await session.aset("fruit", "pear")
        with self.assertLogs("django.contrib.sessions", "ERROR") as logs:
            await session.asave()
        self.assertCacheErrorLogged(logs, session)
        self.assertIs(await self.backend().aexists(session.session_key), True)


class CacheAsyncSessionTests(
    SaveDeletedSessionTestsMixin, AsyncSessionTestsMixin, SimpleTestCase
):
    backend = CacheSession

    async def test_aload_invalid_key_resets_session(self):
        session = self.backend("x" * 300)
        self.assertEqual(await session.aload(), {})
        self.assertIsNone(session.session_key)


class FileAsyncSessionTests(AsyncSessionTestsMixin, SimpleTestCase):
    backend = FileSession

    def setUp(self):
        directory = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, directory)
        settings_override = override_settings(SESSION_FILE_PATH=directory)
        settings_override.enable()
        self.addCleanup(settings_override.disable)
        # The engine caches the storage path on the class.
        if hasattr(self.backend, "_storage_path"):
            del self.backend._storage_path
        self.addCleanup(self.forget_storage_path)
        super().setUp()

    def forget_storage_path(self):
        if hasattr(self.backend, "_storage_path"):
            del self.backend._storage_path


class CookieAsyncSessionTests(AsyncSessionTestsMixin, SimpleTestCase):
    backend = CookieSession
    stores_by_key = False

    async def test_aload_bad_signature(self):
        session = self.backend("not-a-signed-value")
        self.assertEqual(await session.aload(), {})
        self.assertIs(session.modified, True)


class SyncOnlySessionStore(SessionBase):
    """An engine written before the async API: only synchronous methods."""

    stored = {}

    def exists(self, session_key):
        return session_key in self.stored

    def create(self):
        self._session_key = self._get_new_session_key()
        self.save(must_create=True)
        self.modified = True

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        self.stored[self.session_key] = dict(self._get_session(no_load=must_create))

    def delete(self, session_key=None):
        self.stored.pop(session_key or self.session_key, None)

    def load(self):
        return dict(self.stored.get(self.session_key, {}))

    @classmethod
    def clear_expired(cls):
        pass


class SyncOnlyEngineAsyncTests(AsyncSessionTestsMixin, SimpleTestCase):
    backend = SyncOnlySessionStore


class AbstractEngineAsyncTests(SimpleTestCase):
    async def test_storage_methods_not_implemented(self):
        session = SessionBase()
        for method, args, name in [
            (session.aexists, ("key",), "an exists()"),
            (session.acreate, (), "a create()"),
            (session.asave, (), "a save()"),
            (session.adelete, (), "a delete()"),
            (session.aload, (), "a load()"),
        ]:
            msg = "subclasses of SessionBase must provide %s method" % name
            with self.subTest(method=method.__name__):
                with self.assertRaisesMessage(NotImplementedError, msg):
                    await method(*args)
        msg = "This backend does not support clear_expired()."
        with self.assertRaisesMessage(NotImplementedError, msg):
            await SessionBase.aclear_expired()
