"""
The async auth functions use the session's and the ORM's a-methods: on a
database with native execution (OPTIONS["async_pool"]) their queries hand
nothing to a thread; elsewhere each query takes at most one trip to the worker
thread. Password hashing always runs in a thread, off the event loop.
"""

import threading
from unittest import mock

from thread_hops import runs_natively, thread_hops

from django.contrib.auth import (
    aauthenticate,
    aget_user,
    alogin,
    alogout,
    aupdate_session_auth_hash,
    hashers,
)
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import Permission, User, update_last_login
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import TestCase, override_settings


def hashing(func):
    return getattr(func, "__module__", "") == hashers.__name__ or getattr(
        func, "__name__", ""
    ) in ("set_password", "make_password")


@override_settings(
    PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"],
)
class AuthThreadHopsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = User.objects.create_user("ann", password="secret")
        # Other apps of the suite have a "user" model too.
        cls.user.user_permissions.add(
            Permission.objects.get(content_type__app_label="auth", codename="add_user")
        )

    def setUp(self):
        # A synchronous receiver runs in a thread whatever the database: keep
        # it out of the counts.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        self.addCleanup(
            user_logged_in.connect, update_last_login, dispatch_uid="update_last_login"
        )

    def assertHops(self, calls, most_elsewhere):
        database_calls = [func for func in calls if not hashing(func)]
        if runs_natively():
            self.assertEqual(database_calls, [])
        else:
            self.assertLessEqual(
                len(database_calls),
                most_elsewhere,
                [getattr(func, "__qualname__", "?") for func in database_calls],
            )

    def request(self):
        request = HttpRequest()
        request.session = SessionStore()
        AuthenticationMiddleware(lambda request: HttpResponse()).process_request(
            request
        )
        return request

    async def test_alogin(self):
        request = self.request()
        with thread_hops() as calls:
            await alogin(
                request, self.user, "django.contrib.auth.backends.ModelBackend"
            )
            await request.session.asave()
        # Elsewhere: the new key's uniqueness check, its insert, and the save.
        self.assertHops(calls, most_elsewhere=3)
        self.assertEqual(await request.auser(), self.user)

    async def test_auser_and_aget_user(self):
        request = self.request()
        await alogin(request, self.user, "django.contrib.auth.backends.ModelBackend")
        await request.session.asave()
        key = request.session.session_key

        request = self.request()
        request.session = SessionStore(key)
        with thread_hops() as calls:
            user = await request.auser()
        # Elsewhere: loading the session, then the user.
        self.assertHops(calls, most_elsewhere=2)
        self.assertEqual(user, self.user)
        # Cached for the request, shared with request.user.
        with thread_hops() as calls:
            self.assertIs(await request.auser(), user)
        self.assertEqual(calls, [])
        # request.user shares the cache: no query (which would raise here).
        self.assertEqual(request.user, user)

        request = self.request()
        request.session = SessionStore(key)
        with thread_hops() as calls:
            self.assertEqual(await aget_user(request), self.user)
        self.assertHops(calls, most_elsewhere=2)

    async def test_alogout(self):
        request = self.request()
        await alogin(request, self.user, "django.contrib.auth.backends.ModelBackend")
        await request.session.asave()
        key = request.session.session_key
        with thread_hops() as calls:
            await alogout(request)
        self.assertHops(calls, most_elsewhere=1)
        self.assertIs(await SessionStore().aexists(key), False)
        self.assertIs((await request.auser()).is_anonymous, True)

    async def test_aupdate_session_auth_hash(self):
        request = self.request()
        await alogin(request, self.user, "django.contrib.auth.backends.ModelBackend")
        await request.session.asave()
        old_key = request.session.session_key
        with thread_hops() as calls:
            await aupdate_session_auth_hash(request, self.user)
        self.assertHops(calls, most_elsewhere=3)
        self.assertNotEqual(request.session.session_key, old_key)

    async def test_aauthenticate_hashes_in_a_thread(self):
        loop_thread = threading.get_ident()
        hashed_in = []
        original = hashers.MD5PasswordHasher.verify

        def verify(hasher, password, encoded):
            hashed_in.append(threading.get_ident())
            return original(hasher, password, encoded)

        with mock.patch.object(hashers.MD5PasswordHasher, "verify", verify):
            with thread_hops() as calls:
                user = await aauthenticate(username="ann", password="secret")
        self.assertEqual(user, self.user)
        self.assertEqual(len(hashed_in), 1)
        self.assertNotEqual(hashed_in[0], loop_thread)
        # Elsewhere: the user's query.
        self.assertHops(calls, most_elsewhere=1)

    async def test_aauthenticate_unknown_user_hashes_in_a_thread(self):
        with thread_hops() as calls:
            self.assertIsNone(await aauthenticate(username="nobody", password="x"))
        self.assertTrue(any(hashing(func) for func in calls), calls)
        self.assertHops(calls, most_elsewhere=1)

    async def test_acreate_user_hashes_in_a_thread(self):
        with thread_hops() as calls:
            user = await User.objects.acreate_user("bea", password="pw")
        self.assertTrue(any(hashing(func) for func in calls), calls)
        self.assertHops(calls, most_elsewhere=1)
        self.assertIs(await user.acheck_password("pw"), True)

    async def test_acheck_password_upgrade_hashes_in_a_thread(self):
        # A hash from another hasher is upgraded and saved.
        with self.settings(
            PASSWORD_HASHERS=[
                "django.contrib.auth.hashers.SHA1PasswordHasher",
                "django.contrib.auth.hashers.MD5PasswordHasher",
            ]
        ):
            user = await User.objects.aget(pk=self.user.pk)
            with thread_hops() as calls:
                self.assertIs(await user.acheck_password("secret"), True)
            self.assertTrue(user.password.startswith("sha1$"))
            # The check and the new hash, then the save.
            self.assertEqual(len([func for func in calls if hashing(func)]), 2)
            self.assertHops(calls, most_elsewhere=1)
            saved = await User.objects.aget(pk=self.user.pk)
            self.assertEqual(saved.password, user.password)

    async def test_ahas_perm(self):
        user = await User.objects.aget(pk=self.user.pk)
        with thread_hops() as calls:
            self.assertIs(await user.ahas_perm("auth.add_user"), True)
            self.assertIs(await user.ahas_perm("auth.delete_user"), False)
        # Elsewhere: the user's and the group's permissions, once each.
        self.assertHops(calls, most_elsewhere=2)


class AuthenticationMiddlewareAsyncTests(TestCase):
    async def test_no_thread_in_async_chain(self):
        async def get_response(request):
            return HttpResponse()

        request = HttpRequest()
        request.session = SessionStore()
        with thread_hops() as calls:
            await AuthenticationMiddleware(get_response)(request)
        self.assertEqual(calls, [])
        self.assertIs((await request.auser()).is_anonymous, True)

    async def test_subclass_process_request_in_a_thread(self):
        threads = []

        class Subclass(AuthenticationMiddleware):
            def process_request(self, request):
                threads.append(threading.get_ident())
                super().process_request(request)

        async def get_response(request):
            return HttpResponse()

        request = HttpRequest()
        request.session = SessionStore()
        await Subclass(get_response)(request)
        self.assertEqual(len(threads), 1)
        self.assertNotEqual(threads[0], threading.get_ident())
        self.assertTrue(hasattr(request, "auser"))

    def test_sync_chain(self):
        request = HttpRequest()
        request.session = SessionStore()
        AuthenticationMiddleware(lambda request: HttpResponse())(request)
        self.assertIs(request.user.is_anonymous, True)
