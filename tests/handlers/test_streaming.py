import gzip

from asgi.streaming_urls import async_streaming, chunks
from asgiref.sync import async_to_sync

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import StreamingHttpResponse
from django.test import RequestFactory, SimpleTestCase, override_settings
from django.urls import path
from django.utils.text import acompress_sequence, compress_sequence

SYNC_SERVING_ASYNC = "StreamingHttpResponse must consume asynchronous iterators"


def sync_view_async_streaming(request):
    return StreamingHttpResponse(chunks())


urlpatterns = [
    path("async/", async_streaming),
    path("sync-view/", sync_view_async_streaming),
]


@override_settings(ROOT_URLCONF="handlers.test_streaming")
class WSGIStreamingTests(SimpleTestCase):
    request_factory = RequestFactory()

    def setUp(self):
        request_started.disconnect(close_old_connections)
        self.addCleanup(request_started.connect, close_old_connections)

    def test_async_iterator_under_wsgi(self):
        for url in ("/async/", "/sync-view/"):
            with self.subTest(url=url):
                environ = self.request_factory.get(url).environ
                response = WSGIHandler()(environ, lambda *args: None)
                self.assertIs(response.is_async, True)
                with self.assertWarnsMessage(Warning, SYNC_SERVING_ASYNC):
                    content = b"".join(response)
                self.assertEqual(content, b"chunk 0\nchunk 1\nchunk 2\n")
                response.close()


@override_settings(ROOT_URLCONF="handlers.test_streaming")
class TestClientStreamingTests(SimpleTestCase):
    async def test_async_client(self):
        finished = []

        def on_finished(**kwargs):
            finished.append(True)

        request_finished.connect(on_finished)
        self.addCleanup(request_finished.disconnect, on_finished)
        response = await self.async_client.get("/async/")
        self.assertIs(response.is_async, True)
        self.assertEqual(finished, [])
        content = b"".join([chunk async for chunk in response.streaming_content])
        self.assertEqual(content, b"chunk 0\nchunk 1\nchunk 2\n")
        # Like a server, the client closes the response once it's consumed.
        self.assertEqual(finished, [True])

    def test_client(self):
        response = self.client.get("/async/")
        self.assertIs(response.is_async, True)

        async def consume():
            return b"".join([chunk async for chunk in response.streaming_content])

        self.assertEqual(async_to_sync(consume)(), b"chunk 0\nchunk 1\nchunk 2\n")


class AsyncCompressSequenceTests(SimpleTestCase):
    async def test_one_gzip_stream(self):
        async def data():
            for number in range(100):
                yield b"line %d\n" % number

        parts = [part async for part in acompress_sequence(data())]
        expected = b"".join(b"line %d\n" % number for number in range(100))
        self.assertEqual(gzip.decompress(b"".join(parts)), expected)
        # The same bytes as the sync version: one stream, not one per chunk.
        sync_parts = compress_sequence(b"line %d\n" % number for number in range(100))
        self.assertEqual(b"".join(parts), b"".join(sync_parts))
