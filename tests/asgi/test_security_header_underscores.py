from asgiref.testing import ApplicationCommunicator

from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse
from django.test import AsyncRequestFactory, SimpleTestCase, override_settings
from django.urls import path


class HeaderUnderscoreTests(SimpleTestCase):
    """
    CVE-2026-3902: a header name with underscores can't stand in for the
    header with dashes that maps to the same META key.
    """

    factory = AsyncRequestFactory()

    def make_request(self, headers):
        scope = self.factory._base_scope(path="/", headers=list(headers))
        return ASGIRequest(scope, None)

    def test_header_with_underscores_is_ignored(self):
        request = self.make_request([(b"x_forwarded_for", b"10.0.0.1")])
        self.assertNotIn("HTTP_X_FORWARDED_FOR", request.META)

    def test_header_with_dashes_is_kept(self):
        request = self.make_request([(b"x-forwarded-for", b"10.0.0.1")])
        self.assertEqual(request.META["HTTP_X_FORWARDED_FOR"], "10.0.0.1")

    def test_underscore_form_does_not_join_dash_form(self):
        for headers in (
            [(b"x-auth-user", b"alice"), (b"x_auth_user", b"admin")],
            [(b"x_auth_user", b"admin"), (b"x-auth-user", b"alice")],
        ):
            with self.subTest(headers=headers):
                request = self.make_request(headers)
                self.assertEqual(request.META["HTTP_X_AUTH_USER"], "alice")

    def test_content_length_and_type_with_underscores_are_ignored(self):
        request = self.make_request(
            [(b"content_length", b"5"), (b"content_type", b"text/plain")]
        )
        for key in (
            "CONTENT_LENGTH",
            "CONTENT_TYPE",
            "HTTP_CONTENT_LENGTH",
            "HTTP_CONTENT_TYPE",
        ):
            with self.subTest(key=key):
                self.assertNotIn(key, request.META)

    def test_mixed_name_with_underscore_is_ignored(self):
        request = self.make_request([(b"x-forwarded_for", b"10.0.0.1")])
        self.assertNotIn("HTTP_X_FORWARDED_FOR", request.META)

    def test_request_factory_sends_extra_headers_with_dashes(self):
        # Extra arguments are named META-style, with underscores; the factory
        # turns them into header names ASGIRequest accepts.
        request = self.factory.get("/", X_CUSTOM_HEADER="value")
        self.assertEqual(request.META["HTTP_X_CUSTOM_HEADER"], "value")
        self.assertIn((b"x-custom-header", b"value"), request.scope["headers"])


def auth_user(request):
    return HttpResponse(request.META.get("HTTP_X_AUTH_USER", "nobody"))


urlpatterns = [path("user/", auth_user)]


@override_settings(ROOT_URLCONF=__name__)
class HeaderUnderscoreHandlerTests(SimpleTestCase):
    async def test_handler_ignores_header_with_underscores(self):
        application = get_asgi_application()
        scope = AsyncRequestFactory()._base_scope(
            path="/user/", headers=[(b"x_auth_user", b"admin")]
        )
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request"})
        response_start = await communicator.receive_output()
        self.assertEqual(response_start["status"], 200)
        response_body = await communicator.receive_output()
        self.assertEqual(response_body["body"], b"nobody")
        await communicator.wait()
