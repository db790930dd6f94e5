import threading
from unittest import mock

from django.contrib.sessions.backends.cache import SessionStore as CacheSession
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import SimpleTestCase, override_settings


class HopCounter:
    """Stands in for the middleware module's sync_to_async(): counts calls,
    and runs the function in the calling thread."""

    def __init__(self):
        self.funcs = []

    def __call__(self, func, thread_sensitive=True):
        self.funcs.append(func.__name__)

        async def inner(*args, **kwargs):
            return func(*args, **kwargs)

        return inner


@override_settings(SESSION_ENGINE="django.contrib.sessions.backends.cache")
class AsyncSessionMiddlewareTests(SimpleTestCase):
    """
    In an async middleware chain, SessionMiddleware makes the store and
    answers requests that don't save the session on the event loop's
    thread; only a save goes to a thread.
    """

    def setUp(self):
        self.hops = HopCounter()
        patcher = mock.patch(
            "django.contrib.sessions.middleware.sync_to_async",
            self.hops,
            create=True,
        )
        patcher.start()
        self.addCleanup(patcher.stop)
        # MiddlewareMixin.__acall__()'s own hops would go through here.
        patcher = mock.patch("django.utils.deprecation.sync_to_async", self.hops)
        patcher.start()
        self.addCleanup(patcher.stop)

    def middleware(self, view, cls=SessionMiddleware):
        async def get_response(request):
            return await view(request)

        return cls(get_response)

    def request(self, session_key=None):
        request = HttpRequest()
        if session_key:
            request.COOKIES["sessionid"] = session_key
        return request

    async def test_reading_session_needs_no_thread(self):
        stored = CacheSession()
        stored["answer"] = 42
        stored.save()
        seen = {}

        async def view(request):
            seen["thread"] = threading.get_ident()
            seen["answer"] = await request.session.aget("answer")
            return HttpResponse()

        response = await self.middleware(view)(self.request(stored.session_key))
        self.assertEqual(seen, {"thread": threading.get_ident(), "answer": 42})
        self.assertEqual(self.hops.funcs, [])
        self.assertEqual(response.headers["Vary"], "Cookie")
        self.assertNotIn("sessionid", response.cookies)

    async def test_untouched_session_needs_no_thread(self):
        async def view(request):
            return HttpResponse()

        response = await self.middleware(view)(self.request())
        self.assertEqual(self.hops.funcs, [])
        self.assertFalse(response.has_header("Vary"))
        self.assertNotIn("sessionid", response.cookies)

    async def test_emptied_session_deletes_cookie_without_thread(self):
        stored = CacheSession()
        stored["answer"] = 42
        stored.save()

        async def view(request):
            await request.session.aflush()
            return HttpResponse()

        response = await self.middleware(view)(self.request(stored.session_key))
        self.assertEqual(self.hops.funcs, [])
        self.assertEqual(response.cookies["sessionid"].value, "")
        self.assertEqual(response.headers["Vary"], "Cookie")

    async def test_modified_session_is_saved_in_one_hop(self):
        async def view(request):
            await request.session.aset("answer", 42)
            return HttpResponse()

        response = await self.middleware(view)(self.request())
        self.assertEqual(self.hops.funcs, ["process_response"])
        session_key = response.cookies["sessionid"].value
        self.assertEqual(CacheSession(session_key)["answer"], 42)
        self.assertEqual(response.headers["Vary"], "Cookie")

    @override_settings(SESSION_SAVE_EVERY_REQUEST=True)
    async def test_save_every_request_saves_in_one_hop(self):
        stored = CacheSession()
        stored["answer"] = 42
        stored.save()

        async def view(request):
            return HttpResponse()

        response = await self.middleware(view)(self.request(stored.session_key))
        self.assertEqual(self.hops.funcs, ["process_response"])
        self.assertEqual(response.cookies["sessionid"].value, stored.session_key)

    async def test_view_without_session_attribute(self):
        async def view(request):
            del request.session
            return HttpResponse()

        response = await self.middleware(view)(self.request())
        self.assertEqual(self.hops.funcs, [])
        self.assertEqual(response.status_code, 200)

    async def test_subclass_hooks_run_in_threads(self):
        class CustomSessionMiddleware(SessionMiddleware):
            def process_request(self, request):
                super().process_request(request)

        async def view(request):
            return HttpResponse()

        await self.middleware(view, CustomSessionMiddleware)(self.request())
        self.assertEqual(self.hops.funcs, ["process_request", "process_response"])
