from asgiref.sync import iscoroutinefunction, sync_to_async

from django.contrib.auth import models
from django.contrib.auth.decorators import (
    login_required,
    permission_required,
    user_passes_test,
)
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory, TestCase, override_settings
from django.urls import path
from django.utils.functional import SimpleLazyObject


async def async_view(request):
    return HttpResponse(f"hello {request.user.username}")


urlpatterns = [
    path("login_required_async/", login_required(async_view)),
    path("login/", async_view),
]


class AsyncAuthDecoratorsTests(TestCase):
    factory = RequestFactory()

    @classmethod
    def setUpTestData(cls):
        cls.user = models.User.objects.create_user(username="joe", password="qwerty")
        perms = models.Permission.objects.filter(
            codename__in=("add_customuser", "change_customuser")
        )
        cls.user.user_permissions.add(*perms)

    def request(self, user, path="/rand"):
        request = self.factory.get(path)
        request.user = user
        return request

    def test_wrappers_follow_the_view(self):
        for decorator in (
            login_required,
            login_required(login_url="/elsewhere/"),
            user_passes_test(lambda user: True),
            permission_required("auth_tests.add_customuser"),
        ):
            with self.subTest(decorator=decorator):
                self.assertIs(iscoroutinefunction(decorator(async_view)), True)
                self.assertIs(decorator(async_view).__wrapped__, async_view)

    async def test_login_required(self):
        view = login_required(async_view)
        response = await view(self.request(self.user))
        self.assertEqual(response.content, b"hello joe")
        response = await view(self.request(AnonymousUser(), "/secret/?x=1"))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.url, "/accounts/login/?next=/secret/%3Fx%3D1")

    async def test_login_required_login_url(self):
        view = login_required(login_url="https://login.example.com/")(async_view)
        response = await view(self.request(AnonymousUser()))
        self.assertEqual(
            response.url, "https://login.example.com/?next=http%3A//testserver/rand"
        )

    async def test_user_passes_test_async_test(self):
        async def is_joe(user):
            return user.username == "joe"

        view = user_passes_test(is_joe)(async_view)
        response = await view(self.request(self.user))
        self.assertEqual(response.status_code, 200)
        response = await view(self.request(AnonymousUser()))
        self.assertEqual(response.status_code, 302)

    async def test_user_passes_test_sync_test_can_query(self):
        def has_permissions(user):
            # A sync test runs in a worker thread, so it may use the ORM.
            return user.user_permissions.filter(codename="add_customuser").exists()

        view = user_passes_test(has_permissions)(async_view)
        response = await view(self.request(self.user))
        self.assertEqual(response.status_code, 200)

    async def test_lazy_user_is_loaded_off_the_event_loop(self):
        def load():
            return models.User.objects.get(username="joe")

        request = self.request(SimpleLazyObject(load))

        async def is_joe(user):
            return user.username == "joe"

        response = await user_passes_test(is_joe)(async_view)(request)
        self.assertEqual(response.status_code, 200)

    async def test_auser_is_preferred(self):
        async def auser():
            return self.user

        request = self.request(AnonymousUser())
        request.auser = auser

        async def is_joe(user):
            return user.username == "joe"

        response = await user_passes_test(is_joe)(async_view)(request)
        self.assertEqual(response.status_code, 200)

    async def test_permission_required(self):
        view = permission_required(
            ["auth_tests.add_customuser", "auth_tests.change_customuser"]
        )(async_view)
        response = await view(self.request(self.user))
        self.assertEqual(response.status_code, 200)
        view = permission_required("auth_tests.delete_customuser")(async_view)
        response = await view(self.request(self.user))
        self.assertEqual(response.status_code, 302)

    async def test_permission_required_raise_exception(self):
        view = permission_required(
            "auth_tests.delete_customuser", raise_exception=True
        )(async_view)
        with self.assertRaises(PermissionDenied):
            await view(self.request(self.user))

    async def test_permission_required_ahas_perms(self):
        class User:
            is_authenticated = True
            username = "async"

            async def ahas_perms(self, perms):
                return perms == ("app.perm",)

            def has_perms(self, perms):
                raise AssertionError("has_perms() called")

        view = permission_required("app.perm")(async_view)
        response = await view(self.request(User()))
        self.assertEqual(response.status_code, 200)

    @override_settings(ROOT_URLCONF="auth_tests.test_async_decorators")
    async def test_through_the_handler(self):
        response = await self.async_client.get("/login_required_async/")
        self.assertRedirects(
            response,
            "/accounts/login/?next=/login_required_async/",
            fetch_redirect_response=False,
        )
        await sync_to_async(self.async_client.force_login)(self.user)
        response = await self.async_client.get("/login_required_async/")
        self.assertEqual(response.content, b"hello joe")
