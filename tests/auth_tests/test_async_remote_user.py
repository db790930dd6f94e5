"""
RemoteUserMiddleware and PersistentRemoteUserMiddleware in an async
middleware chain (aprocess_request()).

AsyncClient turns a keyword argument such as REMOTE_USER="x" into the request
header Remote-User, which ASGIRequest puts in META as HTTP_REMOTE_USER: under
ASGI, the default header name stands for that header.
"""

from django.contrib.auth import BACKEND_SESSION_KEY, alogin
from django.contrib.auth.middleware import (
    AuthenticationMiddleware,
    RemoteUserMiddleware,
)
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import TestCase, ignore_warnings, modify_settings, override_settings
from django.urls import path
from django.utils.deprecation import RemovedInDjango61Warning


async def whoami(request):
    user = await request.auser()
    return HttpResponse(user.get_username() if user.is_authenticated else "-")


async def login_with_model_backend(request):
    user = await User.objects.aget(username="stored")
    await alogin(request, user, "django.contrib.auth.backends.ModelBackend")
    return HttpResponse("ok")


urlpatterns = [
    path("whoami/", whoami),
    path("login/", login_with_model_backend),
]


class CustomHeaderMiddleware(RemoteUserMiddleware):
    header = "HTTP_AUTHUSER"


class SyncOnlySubclassMiddleware(RemoteUserMiddleware):
    calls = []

    def process_request(self, request):
        type(self).calls.append(request.path)
        return super().process_request(request)


REMOTE = "django.contrib.auth.middleware.RemoteUserMiddleware"


@override_settings(
    ROOT_URLCONF="auth_tests.test_async_remote_user",
    AUTHENTICATION_BACKENDS=[
        "django.contrib.auth.backends.RemoteUserBackend",
        "django.contrib.auth.backends.ModelBackend",
    ],
)
@modify_settings(MIDDLEWARE={"append": REMOTE})
class AsyncRemoteUserTests(TestCase):
    middleware = REMOTE

    @classmethod
    def setUpTestData(cls):
        cls.known = User.objects.create(username="knownuser")
        cls.known2 = User.objects.create(username="knownuser2")
        User.objects.create_user("stored", password="secret")

    async def whoami(self, **extra):
        response = await self.async_client.get("/whoami/", **extra)
        return response.content.decode()

    async def test_no_header(self):
        count = await User.objects.acount()
        self.assertEqual(await self.whoami(), "-")
        self.assertEqual(await self.whoami(REMOTE_USER=""), "-")
        self.assertEqual(await User.objects.acount(), count)

    async def test_known_user(self):
        self.assertEqual(await self.whoami(REMOTE_USER="knownuser"), "knownuser")
        self.assertEqual(
            await self.async_client.session.aget(BACKEND_SESSION_KEY),
            "django.contrib.auth.backends.RemoteUserBackend",
        )
        # The user is kept in the session on the next request.
        self.assertEqual(await self.whoami(REMOTE_USER="knownuser"), "knownuser")

    async def test_unknown_user_created(self):
        self.assertEqual(await self.whoami(REMOTE_USER="newuser"), "newuser")
        self.assertIs(await User.objects.filter(username="newuser").aexists(), True)

    async def test_user_switch(self):
        self.assertEqual(await self.whoami(REMOTE_USER="knownuser"), "knownuser")
        self.assertEqual(await self.whoami(REMOTE_USER="knownuser2"), "knownuser2")

    async def test_header_disappears(self):
        self.assertEqual(await self.whoami(REMOTE_USER="knownuser"), "knownuser")
        self.assertEqual(await self.whoami(), "-")

    async def test_model_backend_user_kept_without_header(self):
        # Only users that the remote-user backend logged in are logged out.
        await self.async_client.get("/login/")
        self.assertEqual(await self.whoami(), "stored")

    async def test_inactive_user(self):
        await User.objects.filter(username="knownuser").aupdate(is_active=False)
        self.assertEqual(await self.whoami(REMOTE_USER="knownuser"), "-")

    def test_sync_path_unchanged(self):
        # The synchronous middleware reads request.META[header] as before.
        response = self.client.get("/whoami/", REMOTE_USER="knownuser")
        self.assertEqual(response.content.decode(), "knownuser")


@modify_settings(
    MIDDLEWARE={
        "remove": REMOTE,
        "append": "django.contrib.auth.middleware.PersistentRemoteUserMiddleware",
    }
)
class AsyncPersistentRemoteUserTests(AsyncRemoteUserTests):
    async def test_header_disappears(self):
        self.assertEqual(await self.whoami(REMOTE_USER="knownuser"), "knownuser")
        self.assertEqual(await self.whoami(), "knownuser")


def sync_only_middleware(get_response):
    # Without async support, this middleware makes the handler run the ones
    # before it (RemoteUserMiddleware) synchronously, even under ASGI.
    def middleware(request):
        return get_response(request)

    return middleware


@modify_settings(
    MIDDLEWARE={"append": "auth_tests.test_async_remote_user.sync_only_middleware"}
)
class SyncChainUnderASGITests(AsyncRemoteUserTests):
    """
    process_request() of an ASGI request reads the Remote-User header, as
    aprocess_request() does.
    """


@modify_settings(
    MIDDLEWARE={
        "remove": REMOTE,
        "append": "auth_tests.test_async_remote_user.CustomHeaderMiddleware",
    }
)
class AsyncCustomHeaderTests(AsyncRemoteUserTests):
    # A custom header is the META key it names, under ASGI as under WSGI.
    async def whoami(self, **extra):
        if "REMOTE_USER" in extra:
            extra["AUTHUSER"] = extra.pop("REMOTE_USER")
        return await super().whoami(**extra)

    def test_sync_path_unchanged(self):
        response = self.client.get("/whoami/", HTTP_AUTHUSER="knownuser")
        self.assertEqual(response.content.decode(), "knownuser")

    async def test_default_header_ignored(self):
        self.assertEqual(await super().whoami(REMOTE_USER="knownuser"), "-")


@override_settings(
    ROOT_URLCONF="auth_tests.test_async_remote_user",
    AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.RemoteUserBackend"],
)
@modify_settings(
    MIDDLEWARE={
        "append": "auth_tests.test_async_remote_user.SyncOnlySubclassMiddleware"
    }
)
class SyncOnlySubclassTests(TestCase):
    def setUp(self):
        SyncOnlySubclassMiddleware.calls = []

    async def test_process_request_override_kept(self):
        msg = (
            "Support for subclasses of RemoteUserMiddleware that override "
            "process_request() without overriding aprocess_request() is "
            "deprecated."
        )
        with self.assertWarnsMessage(RemovedInDjango61Warning, msg):
            response = await self.async_client.get("/whoami/")
        self.assertEqual(response.content, b"-")
        self.assertEqual(SyncOnlySubclassMiddleware.calls, ["/whoami/"])


class AsyncMiddlewareErrorsTests(TestCase):
    async def test_authentication_middleware_required(self):
        async def get_response(request):
            return HttpResponse()

        middleware = RemoteUserMiddleware(get_response)
        request = HttpRequest()
        msg = (
            "The Django remote user auth middleware requires the authentication "
            "middleware to be installed."
        )
        with self.assertRaisesMessage(ImproperlyConfigured, msg):
            await middleware(request)

    @ignore_warnings(category=RemovedInDjango61Warning)
    async def test_request_without_auser(self):
        # A request with only request.user (set by other code) works too.
        async def get_response(request):
            return HttpResponse()

        from django.contrib.auth.models import AnonymousUser
        from django.contrib.sessions.backends.db import SessionStore

        request = HttpRequest()
        request.session = SessionStore()
        request.user = AnonymousUser()
        request.META["REMOTE_USER"] = "newcomer"
        with override_settings(
            AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.RemoteUserBackend"]
        ):
            await RemoteUserMiddleware(get_response)(request)
        self.assertEqual(request.user.username, "newcomer")

    def test_is_async_capable(self):
        self.assertIs(RemoteUserMiddleware.async_capable, True)
        self.assertIs(AuthenticationMiddleware.async_capable, True)
