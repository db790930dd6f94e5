"""
LoginRequiredMiddleware and the login_not_required decorator, with sync and
async views; the deprecated fallback of login() and alogin() to the request's
user.
"""

from django.contrib import admin
from django.contrib.auth import SESSION_KEY, alogin, login
from django.contrib.auth.checks import check_middleware
from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.auth.middleware import (
    AuthenticationMiddleware,
    LoginRequiredMiddleware,
)
from django.contrib.auth.models import User
from django.contrib.auth.views import LoginView, PasswordResetView
from django.contrib.sessions.backends.db import SessionStore
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.test import SimpleTestCase, TestCase, modify_settings, override_settings
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.deprecation import RemovedInDjango61Warning
from django.views import View


def private(request):
    return HttpResponse("private")


async def aprivate(request):
    return HttpResponse("async private")


@login_not_required
def public(request):
    return HttpResponse("public")


@login_not_required
async def apublic(request):
    return HttpResponse("async public")


@login_required(login_url="/books/login/", redirect_field_name="back_to")
def custom_login(request):
    return HttpResponse("books")


@login_required(login_url="/books/login/", redirect_field_name="back_to")
async def acustom_login(request):
    return HttpResponse("async books")


@login_required(redirect_field_name=None)
def no_redirect_field(request):
    return HttpResponse("no field")


@login_required(login_url="https://sso.example.com/login/")
def remote_login(request):
    return HttpResponse("remote")


@method_decorator(login_not_required, name="dispatch")
class PublicView(View):
    def get(self, request):
        return HttpResponse("public view")


class AsyncPrivateView(View):
    async def get(self, request):
        return HttpResponse("async private view")


urlpatterns = [
    path("private/", private),
    path("aprivate/", aprivate),
    path("public/", public),
    path("apublic/", apublic),
    path("custom/", custom_login),
    path("acustom/", acustom_login),
    path("no-field/", no_redirect_field),
    path("remote/", remote_login),
    path("public-view/", PublicView.as_view()),
    path("async-private-view/", AsyncPrivateView.as_view()),
    path("accounts/login/", LoginView.as_view()),
    path("password-reset/", PasswordResetView.as_view()),
    path("admin/", admin.site.urls),
]

LOGIN_REQUIRED = "django.contrib.auth.middleware.LoginRequiredMiddleware"


@override_settings(ROOT_URLCONF="auth_tests.test_login_required_middleware")
@modify_settings(MIDDLEWARE={"append": LOGIN_REQUIRED})
class LoginRequiredMiddlewareTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = User.objects.create_user("ann", password="secret")

    def test_anonymous_redirected(self):
        for url in ("/private/", "/aprivate/", "/async-private-view/"):
            with self.subTest(url=url):
                response = self.client.get(url + "?page=2")
                self.assertRedirects(
                    response,
                    "/accounts/login/?next=%s%%3Fpage%%3D2" % url,
                    fetch_redirect_response=False,
                )

    async def test_anonymous_redirected_async_client(self):
        for url in ("/private/", "/aprivate/"):
            with self.subTest(url=url):
                response = await self.async_client.get(url)
                self.assertRedirects(
                    response,
                    "/accounts/login/?next=%s" % url,
                    fetch_redirect_response=False,
                )

    def test_authenticated_passes(self):
        self.client.force_login(self.user)
        self.assertContains(self.client.get("/private/"), "private")
        self.assertContains(self.client.get("/aprivate/"), "async private")

    async def test_authenticated_passes_async_client(self):
        await self.async_client.aforce_login(self.user)
        response = await self.async_client.get("/aprivate/")
        self.assertEqual(response.content, b"async private")

    def test_login_not_required(self):
        self.assertContains(self.client.get("/public/"), "public")
        self.assertContains(self.client.get("/apublic/"), "async public")
        self.assertContains(self.client.get("/public-view/"), "public view")

    async def test_login_not_required_async_client(self):
        response = await self.async_client.get("/apublic/")
        self.assertEqual(response.content, b"async public")

    def test_login_and_password_reset_views_are_public(self):
        self.assertEqual(self.client.get("/accounts/login/").status_code, 200)
        self.assertEqual(self.client.get("/password-reset/").status_code, 200)

    def test_admin_login_is_public(self):
        self.assertEqual(self.client.get("/admin/login/").status_code, 200)
        # Other admin pages send anonymous users to the admin's login page.
        self.assertRedirects(
            self.client.get("/admin/"),
            "/admin/login/?next=/admin/",
            fetch_redirect_response=False,
        )

    def test_login_required_arguments(self):
        for url in ("/custom/", "/acustom/"):
            with self.subTest(url=url):
                self.assertRedirects(
                    self.client.get(url),
                    "/books/login/?back_to=%s" % url,
                    fetch_redirect_response=False,
                )

    def test_redirect_field_name_none(self):
        self.assertRedirects(
            self.client.get("/no-field/"),
            "/accounts/login/",
            fetch_redirect_response=False,
        )

    def test_login_url_on_other_host(self):
        self.assertRedirects(
            self.client.get("/remote/"),
            "https://sso.example.com/login/?next=http%3A//testserver/remote/",
            fetch_redirect_response=False,
        )

    @override_settings(LOGIN_URL="admin:login")
    def test_login_url_resolved(self):
        # A URL name in LOGIN_URL is reversed (here, the admin's).
        self.assertRedirects(
            self.client.get("/private/"),
            "/admin/login/?next=/private/",
            fetch_redirect_response=False,
        )

    @override_settings(LOGIN_URL=None)
    def test_no_login_url(self):
        msg = (
            "No login URL to redirect to. Define settings.LOGIN_URL or provide a "
            "login_url via the 'django.contrib.auth.decorators.login_required' "
            "decorator."
        )
        with self.assertRaisesMessage(ImproperlyConfigured, msg):
            self.client.get("/private/")


class CustomRedirectFieldMiddleware(LoginRequiredMiddleware):
    redirect_field_name = "continue"


@override_settings(ROOT_URLCONF="auth_tests.test_login_required_middleware")
@modify_settings(
    MIDDLEWARE={
        "append": "auth_tests.test_login_required_middleware."
        "CustomRedirectFieldMiddleware"
    }
)
class LoginRequiredMiddlewareSubclassTests(TestCase):
    def test_redirect_field_name_attribute(self):
        self.assertRedirects(
            self.client.get("/private/"),
            "/accounts/login/?continue=/private/",
            fetch_redirect_response=False,
        )
        # The decorator's own value wins.
        self.assertRedirects(
            self.client.get("/custom/"),
            "/books/login/?back_to=/custom/",
            fetch_redirect_response=False,
        )


class LoginNotRequiredTests(SimpleTestCase):
    def test_marks_view(self):
        self.assertIs(public.login_required, False)
        self.assertIs(apublic.login_required, False)
        self.assertFalse(hasattr(private, "login_required"))

    def test_keeps_coroutine_function(self):
        from asgiref.sync import iscoroutinefunction

        self.assertIs(iscoroutinefunction(apublic), True)

    def test_login_required_sets_attributes(self):
        self.assertEqual(custom_login.login_url, "/books/login/")
        self.assertEqual(custom_login.redirect_field_name, "back_to")
        self.assertEqual(acustom_login.login_url, "/books/login/")


class CheckMiddlewareTests(SimpleTestCase):
    AUTH = "django.contrib.auth.middleware.AuthenticationMiddleware"
    SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"

    def errors(self, middleware):
        with self.settings(MIDDLEWARE=middleware):
            return check_middleware(None)

    def test_correct_order(self):
        self.assertEqual(self.errors([self.SESSIONS, self.AUTH, LOGIN_REQUIRED]), [])
        self.assertEqual(self.errors([self.SESSIONS]), [])

    def test_subclass_in_correct_order(self):
        subclass = (
            "auth_tests.test_login_required_middleware.CustomRedirectFieldMiddleware"
        )
        self.assertEqual(self.errors([self.SESSIONS, self.AUTH, subclass]), [])

    def test_wrong_order_or_missing(self):
        expected = [
            checks.Error(
                "In order to use django.contrib.auth.middleware."
                "LoginRequiredMiddleware, django.contrib.auth.middleware."
                "AuthenticationMiddleware must be defined before it in MIDDLEWARE.",
                id="auth.E013",
            )
        ]
        self.assertEqual(
            self.errors([self.SESSIONS, LOGIN_REQUIRED, self.AUTH]), expected
        )
        self.assertEqual(self.errors([LOGIN_REQUIRED]), expected)

    def test_middleware_class_is_async_capable(self):
        self.assertIs(LoginRequiredMiddleware.async_capable, True)
        self.assertIs(AuthenticationMiddleware.sync_capable, True)


class LoginUserNoneDeprecationTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = User.objects.create_user("ann", password="secret")

    def request(self):
        request = HttpRequest()
        request.session = SessionStore()
        return request

    def test_login_falls_back_to_request_user(self):
        request = self.request()
        request.user = self.user
        msg = "Fallback to request.user when user is None will be removed."
        with self.assertWarnsMessage(RemovedInDjango61Warning, msg):
            login(request, None, "django.contrib.auth.backends.ModelBackend")
        self.assertEqual(request.session[SESSION_KEY], str(self.user.pk))

    async def test_alogin_falls_back_to_request_auser(self):
        request = self.request()
        user = self.user

        async def auser():
            return user

        request.auser = auser
        msg = "Fallback to request.auser() when user is None will be removed."
        with self.assertWarnsMessage(RemovedInDjango61Warning, msg):
            await alogin(request, None, "django.contrib.auth.backends.ModelBackend")
        self.assertEqual(await request.session.aget(SESSION_KEY), str(user.pk))
        self.assertEqual(await request.auser(), user)

    async def test_alogin_with_user_does_not_warn(self):
        import warnings

        request = self.request()
        with warnings.catch_warnings():
            warnings.simplefilter("error", RemovedInDjango61Warning)
            await alogin(
                request, self.user, "django.contrib.auth.backends.ModelBackend"
            )
        self.assertEqual(await request.session.aget(SESSION_KEY), str(self.user.pk))
