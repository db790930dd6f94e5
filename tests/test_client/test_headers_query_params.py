"""
The headers= and query_params= arguments of RequestFactory, AsyncRequestFactory,
Client and AsyncClient: on the constructor (for every request) and on each
request method.
"""

from django.http import HttpResponse, HttpResponseRedirect
from django.test import (
    AsyncClient,
    AsyncRequestFactory,
    Client,
    RequestFactory,
    SimpleTestCase,
    override_settings,
)
from django.urls import path

METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")


def view(request):
    return HttpResponse(request.method)


def to_view(request):
    return HttpResponseRedirect("/view/?hop=1")


urlpatterns = [
    path("view/", view),
    path("to_view/", to_view),
]


class RequestFactoryHeadersTests(SimpleTestCase):
    factory_class = RequestFactory

    def make(self, method="get", factory=None, **kwargs):
        factory = factory or self.factory_class()
        return getattr(factory, method)("/somewhere/", **kwargs)

    def test_headers_every_method(self):
        for method in METHODS:
            with self.subTest(method=method):
                request = self.make(
                    method,
                    headers={"Authorization": "Bearer x", "x-request-id": "42"},
                )
                self.assertEqual(request.headers["authorization"], "Bearer x")
                self.assertEqual(request.META["HTTP_AUTHORIZATION"], "Bearer x")
                self.assertEqual(request.headers["X-Request-Id"], "42")
                self.assertEqual(request.META["HTTP_X_REQUEST_ID"], "42")

    def test_headers_generic(self):
        request = (self.factory_class()).generic(
            "REPORT", "/somewhere/", headers={"x-depth": "1"}
        )
        self.assertEqual(request.method, "REPORT")
        self.assertEqual(request.headers["x-depth"], "1")

    def test_content_type_header(self):
        # Content-Type and Content-Length have META keys without HTTP_.
        request = self.make(
            "post",
            data=b"{}",
            content_type="text/plain",
            headers={"content-type": "application/json"},
        )
        self.assertEqual(request.META["CONTENT_TYPE"], "application/json")
        self.assertNotIn("HTTP_CONTENT_TYPE", request.META)

    def test_constructor_headers(self):
        factory = self.factory_class(headers={"User-Agent": "robot/1.0"})
        for method in METHODS:
            with self.subTest(method=method):
                request = self.make(method, factory=factory)
                self.assertEqual(request.headers["user-agent"], "robot/1.0")
                self.assertEqual(request.META["HTTP_USER_AGENT"], "robot/1.0")

    def test_request_headers_override_constructor_headers(self):
        factory = self.factory_class(
            headers={"accept": "text/html", "x-tenant": "blue"}
        )
        request = self.make(factory=factory, headers={"Accept": "application/json"})
        self.assertEqual(request.headers["accept"], "application/json")
        self.assertEqual(request.headers["x-tenant"], "blue")

    def test_query_params_every_method(self):
        for method in METHODS:
            with self.subTest(method=method):
                request = self.make(
                    method, query_params={"q": "café", "tag": ["a", "b"], "none": []}
                )
                self.assertEqual(request.GET["q"], "café")
                self.assertEqual(request.GET.getlist("tag"), ["a", "b"])
                self.assertNotIn("none", request.GET)

    def test_query_params_win_over_url_query_string(self):
        factory = self.factory_class()
        request = factory.post("/somewhere/?from=url", query_params={"from": "args"})
        self.assertEqual(request.GET.getlist("from"), ["args"])
        # Without query_params, the URL's query string is kept.
        request = factory.post("/somewhere/?from=url")
        self.assertEqual(request.GET.getlist("from"), ["url"])

    def test_query_params_and_data_exclusive(self):
        msg = "query_params and data arguments are mutually exclusive."
        for method in ("get", "head"):
            with self.subTest(method=method):
                with self.assertRaisesMessage(ValueError, msg):
                    self.make(method, data={"a": "1"}, query_params={"b": "2"})

    def test_data_is_the_query_string_of_get_and_head(self):
        for method in ("get", "head"):
            with self.subTest(method=method):
                request = self.make(method, data={"a": "1"}, query_params={})
                self.assertEqual(request.GET["a"], "1")

    def test_constructor_query_params(self):
        factory = self.factory_class(query_params={"lang": "fr"})
        for method in METHODS:
            with self.subTest(method=method):
                self.assertEqual(self.make(method, factory=factory).GET["lang"], "fr")
        # A request's own query string replaces the default one.
        self.assertEqual(
            factory.get("/somewhere/", query_params={"lang": "de"}).GET.urlencode(),
            "lang=de",
        )
        self.assertEqual(
            factory.get("/somewhere/?page=2").GET.urlencode(),
            "page=2",
        )


class RequestFactoryHeadersAndExtraTests(SimpleTestCase):
    """headers= together with the HTTP_ keyword arguments of **extra."""

    def test_headers_and_extra(self):
        request = RequestFactory().get(
            "/somewhere/",
            headers={"x-from-headers": "1"},
            HTTP_X_FROM_EXTRA="2",
        )
        self.assertEqual(request.headers["x-from-headers"], "1")
        self.assertEqual(request.headers["x-from-extra"], "2")

    def test_headers_win_over_extra(self):
        request = RequestFactory().get(
            "/somewhere/",
            headers={"Accept-Language": "fr"},
            HTTP_ACCEPT_LANGUAGE="de",
        )
        self.assertEqual(request.META["HTTP_ACCEPT_LANGUAGE"], "fr")

    def test_extra_wins_over_constructor_headers(self):
        factory = RequestFactory(headers={"accept-language": "fr"})
        request = factory.get("/somewhere/", HTTP_ACCEPT_LANGUAGE="de")
        self.assertEqual(request.headers["accept-language"], "de")

    def test_constructor_headers_win_over_constructor_defaults(self):
        factory = RequestFactory(
            headers={"accept-language": "fr"}, HTTP_ACCEPT_LANGUAGE="de"
        )
        self.assertEqual(factory.get("/").headers["accept-language"], "fr")


class AsyncRequestFactoryHeadersTests(RequestFactoryHeadersTests):
    factory_class = AsyncRequestFactory

    def test_content_type_header(self):
        request = self.make(
            "post",
            data=b"{}",
            content_type="text/plain",
            headers={"content-type": "application/json"},
        )
        # ASGI sends both headers; the request's header wins as on WSGI.
        self.assertEqual(request.headers["content-type"], "application/json")

    def test_headers_and_extra(self):
        # Extra keyword arguments name headers without the HTTP_ prefix here.
        request = AsyncRequestFactory().get(
            "/somewhere/", headers={"x-from-headers": "1"}, X_FROM_EXTRA="2"
        )
        self.assertEqual(request.headers["x-from-headers"], "1")
        self.assertEqual(request.headers["x-from-extra"], "2")

    def test_headers_win_over_extra(self):
        request = AsyncRequestFactory().get(
            "/somewhere/", headers={"Accept-Language": "fr"}, ACCEPT_LANGUAGE="de"
        )
        self.assertEqual(request.META["HTTP_ACCEPT_LANGUAGE"], "fr")

    def test_constructor_defaults_are_headers(self):
        factory = AsyncRequestFactory(
            **{"Authorization": "Bearer y", "X-Another-Header": "other"}
        )
        request = factory.get("/somewhere/")
        self.assertEqual(request.headers["authorization"], "Bearer y")
        self.assertEqual(request.META["HTTP_X_ANOTHER_HEADER"], "other")
        # A request's own value wins.
        request = factory.get("/somewhere/", AUTHORIZATION="Bearer z")
        self.assertEqual(request.headers["authorization"], "Bearer z")

    def test_constructor_scope_defaults(self):
        # Defaults that aren't strings stay scope keys, not headers.
        factory = AsyncRequestFactory(client=["10.0.0.7", 4321])
        request = factory.get("/somewhere/", headers={"x-one": "1"})
        self.assertEqual(request.META["REMOTE_ADDR"], "10.0.0.7")
        self.assertEqual(request.headers["x-one"], "1")


@override_settings(ROOT_URLCONF=__name__)
class ClientHeadersTests(SimpleTestCase):
    def test_client_headers_and_query_params(self):
        client = Client(headers={"x-client": "c"}, query_params={"lang": "fr"})
        response = client.put("/view/", headers={"x-request": "r"}, HTTP_X_EXTRA="e")
        request = response.wsgi_request
        self.assertEqual(response.content, b"PUT")
        self.assertEqual(
            (request.headers["x-client"], request.headers["x-request"]), ("c", "r")
        )
        self.assertEqual(request.headers["x-extra"], "e")
        self.assertEqual(request.GET["lang"], "fr")
        self.assertEqual(client.headers, {"x-request": "r"})
        self.assertEqual(client.extra, {"HTTP_X_EXTRA": "e"})

    def test_follow_keeps_headers(self):
        response = self.client.get(
            "/to_view/",
            query_params={"first": "1"},
            headers={"x-trace": "t"},
            follow=True,
        )
        self.assertEqual(response.redirect_chain, [("/view/?hop=1", 302)])
        request = response.wsgi_request
        self.assertEqual(request.headers["x-trace"], "t")
        # The redirect's URL gives the next request's query string.
        self.assertEqual(request.GET.urlencode(), "hop=1")

    async def test_async_client_headers_and_query_params(self):
        client = AsyncClient(headers={"x-client": "c"}, query_params={"lang": "fr"})
        for method in METHODS:
            with self.subTest(method=method):
                response = await getattr(client, method)(
                    "/view/", headers={"x-request": "r"}, query_params={"p": "1"}
                )
                request = response.asgi_request
                self.assertEqual(request.method, method.upper())
                self.assertEqual(request.headers["x-client"], "c")
                self.assertEqual(request.headers["x-request"], "r")
                self.assertEqual(request.GET.urlencode(), "p=1")
        response = await client.get("/view/")
        self.assertEqual(response.asgi_request.GET.urlencode(), "lang=fr")
