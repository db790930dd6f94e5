from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    aauthenticate,
    aget_user,
    alogin,
    alogout,
    aupdate_session_auth_hash,
    get_user,
)
from django.contrib.auth.hashers import acheck_password, make_password
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import TestCase, override_settings
from django.utils.deprecation import RemovedInDjango61Warning


class SignalRecorder:
    def __init__(self, test, signal):
        self.calls = []
        signal.connect(self.receive)
        test.addCleanup(signal.disconnect, self.receive)

    def receive(self, sender, **kwargs):
        self.calls.append(kwargs)


def request_with_session(session=None):
    request = HttpRequest()
    request.session = session if session is not None else SessionStore()
    return request


class AsyncAuthTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = User.objects.create_user("alice", password="wonderland")

    async def test_aauthenticate(self):
        user = await aauthenticate(username="alice", password="wonderland")
        self.assertEqual(user, self.user)
        self.assertEqual(user.backend, "django.contrib.auth.backends.ModelBackend")

    async def test_aauthenticate_passes_request(self):
        request = HttpRequest()
        failed = SignalRecorder(self, user_login_failed)
        self.assertIsNone(
            await aauthenticate(request, username="alice", password="wrong")
        )
        self.assertIs(failed.calls[0]["request"], request)
        # The password is masked in what the signal receives.
        self.assertNotEqual(failed.calls[0]["credentials"]["password"], "wrong")

    async def test_alogin(self):
        request = request_with_session()
        request.user = AnonymousUser()
        logged_in = SignalRecorder(self, user_logged_in)
        await alogin(request, self.user, "django.contrib.auth.backends.ModelBackend")
        self.assertEqual(await request.session.aget(SESSION_KEY), str(self.user.pk))
        self.assertEqual(
            await request.session.aget(BACKEND_SESSION_KEY),
            "django.contrib.auth.backends.ModelBackend",
        )
        self.assertEqual(
            await request.session.aget(HASH_SESSION_KEY),
            self.user.get_session_auth_hash(),
        )
        self.assertEqual(request.user, self.user)
        self.assertEqual(logged_in.calls[0]["user"], self.user)

    async def test_alogin_user_none_uses_request_auser(self):
        request = request_with_session()
        user = await aauthenticate(username="alice", password="wonderland")

        async def auser():
            return user

        request.auser = auser
        msg = "Fallback to request.auser() when user is None will be removed."
        with self.assertWarnsMessage(RemovedInDjango61Warning, msg):
            await alogin(request, None)
        self.assertEqual(await request.session.aget(SESSION_KEY), str(self.user.pk))
        # As in Django 5.2, request.user isn't consulted: the fallback is
        # request.auser() (AuthenticationMiddleware sets both).
        del request.auser
        request.user = user
        with self.assertWarnsMessage(RemovedInDjango61Warning, msg):
            with self.assertRaises(AttributeError):
                await alogin(request, None)

    async def test_alogin_errors(self):
        other = User(username="bob")
        request = request_with_session()
        msg = "backend must be a dotted import path string (got 1)."
        with self.assertRaisesMessage(TypeError, msg):
            await alogin(request, self.user, backend=1)
        with override_settings(
            AUTHENTICATION_BACKENDS=[
                "django.contrib.auth.backends.ModelBackend",
                "django.contrib.auth.backends.AllowAllUsersModelBackend",
            ]
        ):
            msg = "You have multiple authentication backends configured"
            with self.assertRaisesMessage(ValueError, msg):
                await alogin(request, other)

    async def test_alogin_refreshes_auser(self):
        request = request_with_session()
        AuthenticationMiddleware(lambda request: HttpResponse())(request)
        self.assertIsInstance(await request.auser(), AnonymousUser)
        await alogin(request, self.user, "django.contrib.auth.backends.ModelBackend")
        self.assertEqual(await request.auser(), self.user)
        await alogout(request)
        self.assertIsInstance(await request.auser(), AnonymousUser)

    async def test_alogout(self):
        request = request_with_session()
        await alogin(request, self.user, "django.contrib.auth.backends.ModelBackend")
        request.user = self.user
        session_key = request.session.session_key
        logged_out = SignalRecorder(self, user_logged_out)
        await alogout(request)
        self.assertIsInstance(request.user, AnonymousUser)
        self.assertEqual(list(await request.session.akeys()), [])
        self.assertIs(await SessionStore().aexists(session_key), False)
        self.assertEqual(logged_out.calls[0]["user"], self.user)

    async def test_alogout_anonymous(self):
        request = request_with_session()
        request.user = AnonymousUser()
        logged_out = SignalRecorder(self, user_logged_out)
        await alogout(request)
        self.assertIsNone(logged_out.calls[0]["user"])

    async def test_aget_user(self):
        request = request_with_session()
        self.assertIsInstance(await aget_user(request), AnonymousUser)
        await alogin(request, self.user, "django.contrib.auth.backends.ModelBackend")
        self.assertEqual(await aget_user(request), self.user)

    async def test_aget_user_changed_password(self):
        request = request_with_session()
        await alogin(request, self.user, "django.contrib.auth.backends.ModelBackend")
        user = await User.objects.aget(pk=self.user.pk)
        user.set_password("looking-glass")
        await user.asave()
        self.assertIsInstance(await aget_user(request), AnonymousUser)

    async def test_aupdate_session_auth_hash(self):
        request = request_with_session()
        await alogin(request, self.user, "django.contrib.auth.backends.ModelBackend")
        request.user = self.user
        old_key = request.session.session_key
        self.user.set_password("looking-glass")
        await self.user.asave()
        await aupdate_session_auth_hash(request, self.user)
        self.assertNotEqual(request.session.session_key, old_key)
        # Still logged in with the new password.
        self.assertEqual(await aget_user(request), self.user)

    def test_sync_and_async_agree(self):
        request = request_with_session()
        self.client.force_login(self.user)
        request.session = self.client.session
        self.assertEqual(get_user(request), self.user)


class AuserMiddlewareTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = User.objects.create_user("carol", password="secret")

    def setUp(self):
        self.middleware = AuthenticationMiddleware(lambda request: HttpResponse())

    async def test_auser_anonymous(self):
        request = request_with_session()
        self.middleware(request)
        self.assertIsInstance(await request.auser(), AnonymousUser)

    async def test_auser(self):
        await self.client.aforce_login(self.user)
        request = request_with_session(await self.client.asession())
        self.middleware(request)
        user = await request.auser()
        self.assertEqual(user, self.user)
        self.assertIs(await request.auser(), user)
        # request.user shares the fetched user: reading it here, in an async
        # context, would raise SynchronousOnlyOperation if it queried.
        self.assertEqual(request.user.username, "carol")

    def test_user_then_auser(self):
        self.client.force_login(self.user)
        request = request_with_session(self.client.session)
        self.middleware(request)
        self.assertEqual(request.user.username, "carol")
        with self.assertNumQueries(0):
            user = async_to_sync_call(request.auser)
        self.assertEqual(user, self.user)


def async_to_sync_call(func):
    from asgiref.sync import async_to_sync

    return async_to_sync(func)()


@override_settings(
    PASSWORD_HASHERS=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
)
class AcheckPasswordTests(TestCase):
    async def test_acheck_password(self):
        encoded = make_password("secret")
        self.assertIs(await acheck_password("secret", encoded), True)
        self.assertIs(await acheck_password("wrong", encoded), False)
        self.assertIs(await acheck_password(None, encoded), False)
        self.assertIs(await acheck_password("secret", "gibberish"), False)

    async def test_setter_awaited_on_upgrade(self):
        upgraded = []

        async def setter(password):
            upgraded.append(password)

        md5 = make_password("secret", hasher="md5")
        self.assertIs(await acheck_password("secret", md5, setter), True)
        self.assertEqual(upgraded, ["secret"])
        # Neither a wrong password nor a current hash calls the setter.
        self.assertIs(await acheck_password("wrong", md5, setter), False)
        await acheck_password("secret", make_password("secret"), setter)
        self.assertEqual(upgraded, ["secret"])

    async def test_user_acheck_password_upgrades_hash(self):
        user = await User.objects.acreate(
            username="dave", password=make_password("secret", hasher="md5")
        )
        self.assertIs(await user.acheck_password("wrong"), False)
        self.assertIs(await user.acheck_password("secret"), True)
        user = await User.objects.aget(pk=user.pk)
        self.assertTrue(user.password.startswith("pbkdf2_sha256$"))
        self.assertIs(await user.acheck_password("secret"), True)
