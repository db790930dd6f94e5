from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client, TestCase, override_settings
from django.urls import path


async def whoami(request):
    user = await request.auser()
    return HttpResponse(user.username if user.is_authenticated else "anonymous")


urlpatterns = [path("whoami/", whoami)]


@override_settings(ROOT_URLCONF="test_client.test_async_login")
class AsyncClientLoginTests(TestCase):

    @classmethod
    def setUpTestData(cls):
        cls.user = User.objects.create_user("erin", password="secret")
        cls.inactive = User.objects.create_user(
            "frank", password="secret", is_active=False
        )

    async def whoami(self):
        response = await self.async_client.get("/whoami/")
        return response.content.decode()

    async def test_alogin(self):
        self.assertEqual(await self.whoami(), "anonymous")
        self.assertIs(
            await self.async_client.alogin(username="erin", password="secret"), True
        )
        self.assertEqual(await self.whoami(), "erin")

    async def test_alogin_wrong_credentials(self):
        self.assertIs(
            await self.async_client.alogin(username="erin", password="wrong"), False
        )
        self.assertIs(
            await self.async_client.alogin(username="frank", password="secret"),
            False,
        )
        self.assertEqual(await self.whoami(), "anonymous")

    async def test_aforce_login(self):
        await self.async_client.aforce_login(self.user)
        self.assertEqual(await self.whoami(), "erin")
        self.assertEqual(self.user.backend, "django.contrib.auth.backends.ModelBackend")

    @override_settings(
        AUTHENTICATION_BACKENDS=[
            "django.contrib.auth.backends.ModelBackend",
            "django.contrib.auth.backends.AllowAllUsersModelBackend",
        ]
    )
    async def test_aforce_login_backend(self):
        backend = "django.contrib.auth.backends.AllowAllUsersModelBackend"
        await self.async_client.aforce_login(self.inactive, backend=backend)
        self.assertEqual(await self.whoami(), "frank")
        session = await self.async_client.asession()
        self.assertEqual(await session.aget("_auth_user_backend"), backend)

    async def test_alogout(self):
        await self.async_client.aforce_login(self.user)
        session_key = (await self.async_client.asession()).session_key
        await self.async_client.alogout()
        self.assertEqual(await self.whoami(), "anonymous")
        self.assertNotIn(settings.SESSION_COOKIE_NAME, self.async_client.cookies)
        engine = (await self.async_client.asession()).__class__
        self.assertIs(await engine().aexists(session_key), False)

    async def test_asession(self):
        session = await self.async_client.asession()
        await session.aset("fruit", "apple")
        await session.asave()
        cookie = self.async_client.cookies[settings.SESSION_COOKIE_NAME]
        self.assertEqual(cookie.value, session.session_key)
        again = await self.async_client.asession()
        self.assertEqual(again.session_key, session.session_key)
        self.assertEqual(await again.aget("fruit"), "apple")

    async def test_alogin_keeps_session_data(self):
        session = await self.async_client.asession()
        await session.aset("cart", [1, 2])
        await session.asave()
        await self.async_client.alogin(username="erin", password="secret")
        session = await self.async_client.asession()
        self.assertEqual(await session.aget("cart"), [1, 2])
        self.assertEqual(await session.aget(SESSION_KEY), str(self.user.pk))


@override_settings(ROOT_URLCONF="test_client.test_async_login")
class ClientAsyncLoginTests(TestCase):
    """The sync Client has the same asynchronous methods."""

    @classmethod
    def setUpTestData(cls):
        cls.user = User.objects.create_user("grace", password="secret")

    async def test_alogin_then_sync_request(self):
        client = Client()
        self.assertIs(await client.alogin(username="grace", password="secret"), True)
        session = await client.asession()
        self.assertEqual(await session.aget(SESSION_KEY), str(self.user.pk))
        await client.alogout()
        session = await client.asession()
        self.assertIsNone(await session.aget(SESSION_KEY))

    async def test_aforce_login(self):
        client = Client()
        await client.aforce_login(self.user)
        session = await client.asession()
        self.assertEqual(await session.aget(SESSION_KEY), str(self.user.pk))

    def test_sync_methods_unchanged(self):
        self.assertIs(self.client.login(username="grace", password="secret"), True)
        self.assertEqual(self.client.get("/whoami/").content, b"grace")
        self.client.logout()
        self.assertEqual(self.client.get("/whoami/").content, b"anonymous")
        self.client.force_login(self.user)
        self.assertEqual(self.client.get("/whoami/").content, b"grace")
