import asyncio

from asgiref.sync import iscoroutinefunction

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse, HttpResponseNotAllowed
from django.test import RequestFactory, SimpleTestCase, override_settings
from django.views import generic
from django.views.generic import View


class AsyncView(View):
    async def get(self, request, *args, **kwargs):
        await asyncio.sleep(0)
        return HttpResponse(f"async get {kwargs.get('pk', '-')}")

    async def post(self, request, *args, **kwargs):
        return HttpResponse("async post")


class SyncView(View):
    def get(self, request, *args, **kwargs):
        return HttpResponse("sync get")

    def post(self, request, *args, **kwargs):
        return HttpResponse("sync post")


class AsyncOptionsOnlyView(View):
    async def options(self, request, *args, **kwargs):
        return HttpResponse("async options")


class ViewIsAsyncTests(SimpleTestCase):
    def test_base_view_is_sync(self):
        self.assertIs(View.view_is_async, False)
        self.assertFalse(iscoroutinefunction(View.as_view()))

    def test_sync_handlers(self):
        self.assertIs(SyncView.view_is_async, False)
        self.assertFalse(iscoroutinefunction(SyncView.as_view()))
        self.assertFalse(asyncio.iscoroutinefunction(SyncView.as_view()))

    def test_async_handlers(self):
        self.assertIs(AsyncView.view_is_async, True)
        view = AsyncView.as_view()
        # Both checks Django and third-party code use see a coroutine function.
        self.assertTrue(iscoroutinefunction(view))
        self.assertTrue(asyncio.iscoroutinefunction(view))
        self.assertIs(view.view_class, AsyncView)

    def test_options_is_not_a_handler(self):
        # options() alone doesn't make a view async, and View's own sync
        # options() doesn't make an async view mixed.
        self.assertIs(AsyncOptionsOnlyView.view_is_async, False)

    def test_subclass_inherits_async_handlers(self):
        class Child(AsyncView):
            async def put(self, request, *args, **kwargs):
                return HttpResponse("async put")

        self.assertIs(Child.view_is_async, True)

    def test_mixed_handlers_raise(self):
        class MixedView(View):
            def get(self, request, *args, **kwargs):
                return HttpResponse()

            async def post(self, request, *args, **kwargs):
                return HttpResponse()

        msg = (
            "ViewIsAsyncTests.test_mixed_handlers_raise.<locals>.MixedView HTTP "
            "handlers must either be all sync or all async."
        )
        with self.assertRaisesMessage(ImproperlyConfigured, msg):
            MixedView.view_is_async
        with self.assertRaisesMessage(ImproperlyConfigured, msg):
            MixedView.as_view()

    def test_mixed_by_inheritance_raises(self):
        class SyncChild(AsyncView):
            def delete(self, request, *args, **kwargs):
                return HttpResponse()

        with self.assertRaisesMessage(ImproperlyConfigured, "SyncChild HTTP handlers"):
            SyncChild.as_view()

    def test_generic_views_are_sync(self):
        view_classes = [
            view_class
            for view_class in map(generic.__dict__.get, generic.__all__)
            if isinstance(view_class, type) and issubclass(view_class, View)
        ]
        self.assertGreater(len(view_classes), 10)
        for view_class in view_classes:
            with self.subTest(view_class=view_class.__name__):
                self.assertIs(view_class.view_is_async, False)
                self.assertFalse(iscoroutinefunction(view_class.as_view()))


class AsyncViewCallTests(SimpleTestCase):
    rf = RequestFactory()

    async def test_get(self):
        response = await AsyncView.as_view()(self.rf.get("/"), pk=3)
        self.assertEqual(response.content, b"async get 3")

    async def test_head_uses_get(self):
        response = await AsyncView.as_view()(self.rf.head("/"))
        self.assertEqual(response.status_code, 200)

    async def test_options(self):
        view = AsyncView.as_view()
        result = view(self.rf.options("/"))
        self.assertTrue(asyncio.iscoroutine(result))
        response = await result
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["Allow"], "GET, POST, HEAD, OPTIONS")
        self.assertEqual(response.headers["Content-Length"], "0")

    async def test_method_not_allowed(self):
        view = AsyncView.as_view()
        with self.assertLogs("django.request", "WARNING"):
            result = view(self.rf.put("/"))
        self.assertTrue(asyncio.iscoroutine(result))
        response = await result
        self.assertIsInstance(response, HttpResponseNotAllowed)
        self.assertEqual(response.headers["Allow"], "GET, POST, HEAD, OPTIONS")

    def test_sync_view_answers_synchronously(self):
        view = SyncView.as_view()
        response = view(self.rf.options("/"))
        self.assertIsInstance(response, HttpResponse)
        self.assertEqual(response.headers["Allow"], "GET, POST, HEAD, OPTIONS")
        with self.assertLogs("django.request", "WARNING"):
            response = view(self.rf.put("/"))
        self.assertIsInstance(response, HttpResponseNotAllowed)


@override_settings(ROOT_URLCONF="async.urls")
class AsyncViewHandlerTests(SimpleTestCase):
    """Both handlers serve an async class-based view."""

    async def test_asgi(self):
        response = await self.async_client.get("/async-view/7/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"async get 7")
        response = await self.async_client.post("/async-view/7/")
        self.assertEqual(response.content, b"async post")
        response = await self.async_client.options("/async-view/7/")
        self.assertEqual(response.headers["Allow"], "GET, POST, HEAD, OPTIONS")

    async def test_asgi_method_not_allowed(self):
        with self.assertLogs("django.request", "WARNING"):
            response = await self.async_client.delete("/async-view/7/")
        self.assertEqual(response.status_code, 405)

    def test_wsgi(self):
        response = self.client.get("/async-view/8/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"async get 8")
        response = self.client.options("/async-view/8/")
        self.assertEqual(response.headers["Allow"], "GET, POST, HEAD, OPTIONS")
        with self.assertLogs("django.request", "WARNING"):
            response = self.client.delete("/async-view/8/")
        self.assertEqual(response.status_code, 405)

    async def test_sync_view_under_asgi(self):
        response = await self.async_client.get("/sync-view/")
        self.assertEqual(response.content, b"sync get")
