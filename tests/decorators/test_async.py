import gzip
from unittest import mock

from asgiref.sync import iscoroutinefunction

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.middleware.csrf import CSRF_TOKEN_LENGTH
from django.test import RequestFactory, SimpleTestCase, override_settings
from django.utils.decorators import (
    decorator_from_middleware,
    method_decorator,
    wrap_view,
)
from django.views.decorators.cache import cache_control, cache_page, never_cache
from django.views.decorators.clickjacking import (
    xframe_options_deny,
    xframe_options_exempt,
    xframe_options_sameorigin,
)
from django.views.decorators.common import no_append_slash
from django.views.decorators.csrf import (
    csrf_exempt,
    csrf_protect,
    ensure_csrf_cookie,
    requires_csrf_token,
)
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import (
    condition,
    conditional_page,
    etag,
    last_modified,
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.decorators.vary import vary_on_cookie, vary_on_headers
from django.views.generic import View

LONG_CONTENT = b"async content " * 50


async def async_view(request, *args, **kwargs):
    async_view.calls += 1
    return HttpResponse(LONG_CONTENT)


def sync_view(request, *args, **kwargs):
    return HttpResponse(LONG_CONTENT)


class AsyncViewDecoratorTests(SimpleTestCase):
    rf = RequestFactory()

    def setUp(self):
        async_view.calls = 0

    def test_wrappers_follow_the_view(self):
        decorators = [
            cache_control(private=True),
            cache_page(60),
            never_cache,
            no_append_slash,
            csrf_exempt,
            csrf_protect,
            ensure_csrf_cookie,
            requires_csrf_token,
            sensitive_post_parameters("password"),
            gzip_page,
            condition(etag_func=lambda request: "tag"),
            conditional_page,
            etag(lambda request: "tag"),
            last_modified(lambda request: None),
            require_http_methods(["GET"]),
            require_GET,
            require_POST,
            require_safe,
            vary_on_cookie,
            vary_on_headers("Accept"),
            xframe_options_deny,
            xframe_options_sameorigin,
            xframe_options_exempt,
        ]
        for decorator in decorators:
            with self.subTest(decorator=decorator):
                wrapped = decorator(async_view)
                self.assertIs(iscoroutinefunction(wrapped), True)
                self.assertIs(wrapped.__wrapped__, async_view)
                self.assertEqual(wrapped.__name__, "async_view")
                self.assertIs(iscoroutinefunction(decorator(sync_view)), False)

    async def test_require_http_methods(self):
        view = require_http_methods(["GET", "HEAD"])(async_view)
        response = await view(self.rf.get("/"))
        self.assertEqual(response.content, LONG_CONTENT)
        with self.assertLogs("django.request", "WARNING") as logs:
            response = await view(self.rf.post("/"))
        self.assertIsInstance(response, HttpResponseNotAllowed)
        self.assertEqual(response.headers["Allow"], "GET, HEAD")
        self.assertEqual(logs.records[0].getMessage(), "Method Not Allowed (POST): /")
        self.assertEqual(async_view.calls, 1)

    async def test_require_shortcuts(self):
        for decorator, allowed, refused in (
            (require_GET, "get", "post"),
            (require_POST, "post", "get"),
            (require_safe, "head", "put"),
        ):
            with self.subTest(decorator=decorator):
                view = decorator(async_view)
                response = await view(getattr(self.rf, allowed)("/"))
                self.assertEqual(response.status_code, 200)
                with self.assertLogs("django.request", "WARNING"):
                    response = await view(getattr(self.rf, refused)("/"))
                self.assertEqual(response.status_code, 405)

    async def test_cache_control(self):
        view = cache_control(private=True, max_age=10)(async_view)
        response = await view(self.rf.get("/"))
        self.assertEqual(
            set(response.headers["Cache-Control"].split(", ")),
            {"max-age=10", "private"},
        )

    async def test_never_cache(self):
        response = await never_cache(async_view)(self.rf.get("/"))
        self.assertIn("no-cache", response.headers["Cache-Control"])
        self.assertIn("Expires", response.headers)

    async def test_not_a_request(self):
        for decorator, name in (
            (cache_control(private=True), "cache_control"),
            (never_cache, "never_cache"),
        ):
            with self.subTest(name=name):
                msg = (
                    f"{name} didn't receive an HttpRequest. If you are decorating "
                    "a classmethod, be sure to use @method_decorator."
                )
                with self.assertRaisesMessage(TypeError, msg):
                    await decorator(async_view)(object(), self.rf.get("/"))
        msg = (
            "sensitive_post_parameters didn't receive an HttpRequest object. If you "
            "are decorating a classmethod, make sure to use @method_decorator."
        )
        with self.assertRaisesMessage(TypeError, msg):
            await sensitive_post_parameters()(async_view)(object())
        self.assertEqual(async_view.calls, 0)

    async def test_vary(self):
        response = await vary_on_headers("Accept", "Accept-Language")(async_view)(
            self.rf.get("/")
        )
        self.assertEqual(response.headers["Vary"], "Accept, Accept-Language")
        response = await vary_on_cookie(async_view)(self.rf.get("/"))
        self.assertEqual(response.headers["Vary"], "Cookie")

    async def test_xframe_options(self):
        response = await xframe_options_deny(async_view)(self.rf.get("/"))
        self.assertEqual(response.headers["X-Frame-Options"], "DENY")
        response = await xframe_options_sameorigin(async_view)(self.rf.get("/"))
        self.assertEqual(response.headers["X-Frame-Options"], "SAMEORIGIN")
        response = await xframe_options_exempt(async_view)(self.rf.get("/"))
        self.assertIs(response.xframe_options_exempt, True)

    async def test_xframe_options_keeps_the_views_header(self):
        async def view(request):
            response = HttpResponse()
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
            return response

        response = await xframe_options_deny(view)(self.rf.get("/"))
        self.assertEqual(response.headers["X-Frame-Options"], "SAMEORIGIN")

    async def test_markers(self):
        self.assertIs(csrf_exempt(async_view).csrf_exempt, True)
        self.assertIs(no_append_slash(async_view).should_append_slash, False)
        response = await csrf_exempt(async_view)(self.rf.get("/"))
        self.assertEqual(response.status_code, 200)

    async def test_condition(self):
        view = condition(
            etag_func=lambda request: "abc",
            last_modified_func=lambda request: None,
        )(async_view)
        response = await view(self.rf.get("/"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["ETag"], '"abc"')
        response = await view(self.rf.get("/", HTTP_IF_NONE_MATCH='"abc"'))
        self.assertEqual(response.status_code, 304)
        self.assertEqual(response.headers["ETag"], '"abc"')
        # The 304 was answered without calling the view.
        self.assertEqual(async_view.calls, 1)
        with self.assertLogs("django.request", "WARNING"):
            response = await view(self.rf.put("/", HTTP_IF_MATCH='"other"'))
        self.assertEqual(response.status_code, 412)

    async def test_etag_and_last_modified(self):
        response = await etag(lambda request: '"xyz"')(async_view)(self.rf.get("/"))
        self.assertEqual(response.headers["ETag"], '"xyz"')

        def modified(request):
            import datetime

            return datetime.datetime(2020, 1, 2, 3, 4, 5)

        view = last_modified(modified)(async_view)
        response = await view(self.rf.get("/"))
        self.assertEqual(
            response.headers["Last-Modified"], "Thu, 02 Jan 2020 03:04:05 GMT"
        )
        response = await view(
            self.rf.get("/", HTTP_IF_MODIFIED_SINCE="Thu, 02 Jan 2020 03:04:05 GMT")
        )
        self.assertEqual(response.status_code, 304)

    async def test_conditional_page(self):
        async def view(request):
            response = HttpResponse(LONG_CONTENT)
            response.headers["ETag"] = '"page"'
            return response

        response = await conditional_page(view)(
            self.rf.get("/", HTTP_IF_NONE_MATCH='"page"')
        )
        self.assertEqual(response.status_code, 304)

    async def test_gzip_page(self):
        response = await gzip_page(async_view)(
            self.rf.get("/", HTTP_ACCEPT_ENCODING="gzip")
        )
        self.assertEqual(response.headers["Content-Encoding"], "gzip")
        self.assertEqual(gzip.decompress(response.content), LONG_CONTENT)

    @override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    )
    async def test_cache_page(self):
        view = cache_page(60, key_prefix="async-test")(async_view)
        first = await view(self.rf.get("/cached/"))
        second = await view(self.rf.get("/cached/"))
        self.assertEqual(second.content, first.content)
        self.assertEqual(async_view.calls, 1)

    async def test_csrf_protect(self):
        view = csrf_protect(async_view)
        request = self.rf.post("/")
        request._dont_enforce_csrf_checks = False
        with self.assertLogs("django.security.csrf", "WARNING"):
            response = await view(request)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(async_view.calls, 0)
        response = await csrf_exempt(view)(self.rf.get("/"))
        self.assertEqual(response.status_code, 200)

    async def test_ensure_csrf_cookie(self):
        response = await ensure_csrf_cookie(async_view)(self.rf.get("/"))
        self.assertEqual(len(response.cookies["csrftoken"].value), CSRF_TOKEN_LENGTH)

    async def test_requires_csrf_token(self):
        # Unlike csrf_protect, it doesn't reject a POST without a token.
        request = self.rf.post("/")
        request._dont_enforce_csrf_checks = False
        response = await requires_csrf_token(async_view)(request)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(async_view.calls, 1)

    async def test_sensitive_post_parameters(self):
        async def view(request):
            return HttpResponse(repr(request.sensitive_post_parameters))

        request = self.rf.post("/", {"password": "x"})
        response = await sensitive_post_parameters("password")(view)(request)
        self.assertEqual(response.content, b"('password',)")
        response = await sensitive_post_parameters()(view)(self.rf.post("/"))
        self.assertEqual(response.content, b"'__ALL__'")

    async def test_stacked(self):
        view = never_cache(vary_on_cookie(require_GET(async_view)))
        response = await view(self.rf.get("/"))
        self.assertIn("no-cache", response.headers["Cache-Control"])
        self.assertEqual(response.headers["Vary"], "Cookie")


class AsyncMethodDecoratorTests(SimpleTestCase):
    rf = RequestFactory()

    def test_method_decorator_keeps_async_methods_async(self):
        class Handlers:
            @method_decorator(never_cache)
            async def get(self, request):
                return HttpResponse()

            @method_decorator([vary_on_cookie, require_GET])
            def post(self, request):
                return HttpResponse()

        self.assertIs(iscoroutinefunction(Handlers.get), True)
        self.assertIs(iscoroutinefunction(Handlers.post), False)

    async def test_async_view_class(self):
        class DecoratedView(View):
            @method_decorator([never_cache, vary_on_cookie])
            async def get(self, request):
                return HttpResponse("decorated")

        self.assertIs(DecoratedView.view_is_async, True)
        response = await DecoratedView.as_view()(self.rf.get("/"))
        self.assertEqual(response.content, b"decorated")
        self.assertEqual(response.headers["Vary"], "Cookie")
        self.assertIn("no-cache", response.headers["Cache-Control"])


class RecoveringMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def process_exception(self, request, exception):
        if isinstance(exception, ValueError):
            return HttpResponse(f"recovered from {exception}")


recovering = decorator_from_middleware(RecoveringMiddleware)


class WrapViewTests(SimpleTestCase):
    rf = RequestFactory()

    async def test_exception_reaches_process_exception(self):
        async def failing(request):
            raise ValueError("boom")

        response = await recovering(failing)(self.rf.get("/"))
        self.assertEqual(response.content, b"recovered from boom")

    async def test_exception_not_handled_propagates(self):
        async def failing(request):
            raise KeyError("boom")

        with self.assertRaises(KeyError):
            await recovering(failing)(self.rf.get("/"))

    def test_sync_exception_reaches_process_exception(self):
        def failing(request):
            raise ValueError("sync boom")

        response = recovering(failing)(self.rf.get("/"))
        self.assertEqual(response.content, b"recovered from sync boom")

    async def test_steps(self):
        calls = []

        def around(request, *args, **kwargs):
            calls.append(("before", args, kwargs))
            response = yield
            calls.append(("after", response.status_code))
            if kwargs.get("replace"):
                return HttpResponse(status=201)

        async def view(request, *args, **kwargs):
            calls.append("view")
            return HttpResponse()

        wrapped = wrap_view(view, around)
        response = await wrapped(self.rf.get("/"), 1, replace=True)
        self.assertEqual(response.status_code, 201)
        self.assertEqual(
            calls, [("before", (1,), {"replace": True}), "view", ("after", 200)]
        )
        response = await wrapped(self.rf.get("/"))
        self.assertEqual(response.status_code, 200)

    async def test_early_response(self):
        def around(request):
            return HttpResponse("early")
            yield

        view = mock.AsyncMock()
        response = await wrap_view(view, around)(self.rf.get("/"))
        self.assertEqual(response.content, b"early")
        view.assert_not_called()

    def test_yielding_twice(self):
        def around(request):
            yield
            yield

        msg = "around() must yield only once."
        with self.assertRaisesMessage(RuntimeError, msg):
            wrap_view(sync_view, around)(HttpRequest())
