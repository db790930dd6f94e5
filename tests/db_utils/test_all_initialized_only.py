import threading

from asgiref.sync import async_to_sync

from django.core.cache import CacheHandler
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.utils import ConnectionHandler
from django.test import SimpleTestCase


def make_handler():
    return ConnectionHandler(
        {
            DEFAULT_DB_ALIAS: {"ENGINE": "django.db.backends.dummy"},
            "reports": {"ENGINE": "django.db.backends.dummy"},
            "archive": {"ENGINE": "django.db.backends.dummy"},
        }
    )


class AllInitializedOnlyTests(SimpleTestCase):
    """
    connections.all(initialized_only=True) lists only the aliases already
    used here, without creating the others (libraries such as Django REST
    framework call it when they roll back after an error).
    """

    def test_default_creates_every_alias(self):
        handler = make_handler()
        self.assertEqual(
            [conn.alias for conn in handler.all()],
            [DEFAULT_DB_ALIAS, "reports", "archive"],
        )
        self.assertEqual(len(handler.all(initialized_only=True)), 3)

    def test_none_used(self):
        handler = make_handler()
        self.assertEqual(handler.all(initialized_only=True), [])
        # Listing them didn't create any.
        self.assertEqual(handler.all(initialized_only=True), [])

    def test_only_used_aliases_in_settings_order(self):
        handler = make_handler()
        archive = handler["archive"]
        default = handler[DEFAULT_DB_ALIAS]
        self.assertEqual(handler.all(initialized_only=True), [default, archive])
        self.assertFalse(hasattr(handler._connections, "reports"))

    def test_initialized_only_false(self):
        # False, the default, keeps 4.0's behavior.
        handler = make_handler()
        handler["reports"]
        self.assertEqual(len(handler.all(initialized_only=False)), 3)

    def test_other_thread_sees_its_own(self):
        handler = make_handler()
        handler["reports"]
        seen = []
        thread = threading.Thread(
            target=lambda: seen.append(handler.all(initialized_only=True))
        )
        thread.start()
        thread.join()
        self.assertEqual(seen, [[]])
        self.assertEqual(
            [conn.alias for conn in handler.all(initialized_only=True)],
            ["reports"],
        )

    def test_async_context(self):
        handler = make_handler()

        async def used_in_coroutine():
            handler["archive"]
            return [conn.alias for conn in handler.all(initialized_only=True)]

        self.assertEqual(async_to_sync(used_in_coroutine)(), ["archive"])

    def test_global_handler(self):
        # The project's handler accepts the argument as well; the default
        # alias has been used by the test runner.
        used = connections.all(initialized_only=True)
        self.assertIn(connections[DEFAULT_DB_ALIAS], used)
        self.assertLessEqual(len(used), len(connections.all()))

    def test_cache_handler_unchanged(self):
        handler = CacheHandler(
            {
                "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                "other": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
            }
        )
        self.assertEqual(handler.all(initialized_only=True), [])
        other = handler["other"]
        self.assertEqual(handler.all(initialized_only=True), [other])
