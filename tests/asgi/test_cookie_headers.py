"""
Several Cookie headers in an ASGI request (HTTP/2 sends one per cookie) are
one Cookie header to the request: joined with "; ", not ",".
"""

from asgiref.testing import ApplicationCommunicator

from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpResponse
from django.test import AsyncRequestFactory, SimpleTestCase, override_settings
from django.urls import path


async def cookies(request):
    return HttpResponse(
        ";".join("%s=%s" % item for item in sorted(request.COOKIES.items()))
    )


urlpatterns = [path("cookies/", cookies)]


@override_settings(ROOT_URLCONF="asgi.test_cookie_headers")
class CookieHeadersTests(SimpleTestCase):
    factory = AsyncRequestFactory()

    async def test_one_cookie_header_per_cookie(self):
        """HTTP/2 sends each cookie in a header of its own."""
        scope = self.factory._base_scope(
            path="/cookies/",
            headers=[
                (b"cookie", b"sessionid=abc"),
                (b"cookie", b"csrftoken=def; theme=dark"),
            ],
        )
        communicator = ApplicationCommunicator(get_asgi_application(), scope)
        await communicator.send_input({"type": "http.request"})
        self.assertEqual((await communicator.receive_output())["status"], 200)
        self.assertEqual(
            (await communicator.receive_output())["body"],
            b"csrftoken=def;sessionid=abc;theme=dark",
        )
        await communicator.wait(timeout=5)

    def test_trailing_separators(self):
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [(b"cookie", b"a=1;"), (b"cookie", b"b=2; c=3; ")],
        }
        request = ASGIRequest(scope, None)
        self.assertEqual(request.META["HTTP_COOKIE"], "a=1; b=2; c=3")
        self.assertEqual(request.COOKIES, {"a": "1", "b": "2", "c": "3"})

    def test_meta(self):
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [
                (b"cookie", b"a=1"),
                (b"accept", b"text/html"),
                (b"cookie", b"b=2"),
                (b"accept", b"text/plain"),
            ],
        }
        request = ASGIRequest(scope, None)
        self.assertEqual(request.META["HTTP_COOKIE"], "a=1; b=2")
        self.assertEqual(request.META["HTTP_ACCEPT"], "text/html,text/plain")
        self.assertEqual(request.COOKIES, {"a": "1", "b": "2"})
