import gzip
import warnings
from pathlib import Path

from asgiref.testing import ApplicationCommunicator

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.core.signals import request_started
from django.db import close_old_connections
from django.http import StreamingHttpResponse
from django.test import (
    AsyncRequestFactory,
    SimpleTestCase,
    modify_settings,
    override_settings,
)

from .streaming_urls import Finalized, chunks, test_filename

TEST_STATIC_ROOT = Path(__file__).parent / "project" / "static"
ASYNC_SERVING_SYNC = "StreamingHttpResponse must consume synchronous iterators"


@override_settings(ROOT_URLCONF="asgi.streaming_urls")
class ASGIStreamingTests(SimpleTestCase):
    async_request_factory = AsyncRequestFactory()

    def setUp(self):
        request_started.disconnect(close_old_connections)
        self.addCleanup(request_started.connect, close_old_connections)

    def assertNoStreamingWarning(self, caught):
        # Other warnings (ResourceWarning for the request's body file in
        # Django 4.0) aren't this test's business.
        messages = [str(warning.message) for warning in caught]
        self.assertEqual([m for m in messages if "StreamingHttpResponse" in m], [])

    async def request(self, path, application=None, **scope):
        application = application or get_asgi_application()
        scope = self.async_request_factory._base_scope(path=path, **scope)
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input({"type": "http.request"})
        start = await communicator.receive_output()
        bodies = []
        while True:
            message = await communicator.receive_output()
            self.assertEqual(message["type"], "http.response.body")
            bodies.append(message)
            if not message.get("more_body", False):
                break
        await communicator.wait()
        return start, bodies

    async def test_async_iterator(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start, bodies = await self.request("/async/")
        self.assertNoStreamingWarning(caught)
        self.assertEqual(start["status"], 200)
        # One message per chunk, as it comes, then the closing message.
        self.assertEqual(
            [message["body"] for message in bodies[:-1]],
            [b"chunk 0\n", b"chunk 1\n", b"chunk 2\n"],
        )
        self.assertTrue(all(message["more_body"] for message in bodies[:-1]))
        self.assertEqual(bodies[-1], {"type": "http.response.body"})

    async def test_sync_iterator_warns(self):
        with self.assertWarnsMessage(Warning, ASYNC_SERVING_SYNC):
            start, bodies = await self.request("/sync/")
        self.assertEqual(start["status"], 200)
        self.assertEqual(
            b"".join(message.get("body", b"") for message in bodies),
            b"chunk 0\nchunk 1\nchunk 2\n",
        )

    async def test_file_response_warns(self):
        with self.assertWarnsMessage(Warning, ASYNC_SERVING_SYNC):
            _, bodies = await self.request("/file/")
        with open(test_filename, "rb") as f:
            self.assertEqual(
                b"".join(message.get("body", b"") for message in bodies), f.read()
            )

    @modify_settings(INSTALLED_APPS={"append": "django.contrib.staticfiles"})
    @override_settings(
        STATIC_URL="static/",
        STATIC_ROOT=TEST_STATIC_ROOT,
        STATICFILES_DIRS=[TEST_STATIC_ROOT],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
    )
    async def test_static_files_handler_streams_without_warning(self):
        application = ASGIStaticFilesHandler(get_asgi_application())
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start, bodies = await self.request("/static/file.txt", application)
        self.assertNoStreamingWarning(caught)
        self.assertEqual(start["status"], 200)
        with open(TEST_STATIC_ROOT / "file.txt", "rb") as f:
            self.assertEqual(
                b"".join(message.get("body", b"") for message in bodies), f.read()
            )

    @override_settings(MIDDLEWARE=["django.middleware.gzip.GZipMiddleware"])
    async def test_gzip_async_iterator(self):
        start, bodies = await self.request(
            "/async/", headers=[(b"accept-encoding", b"gzip")]
        )
        headers = dict(start["headers"])
        self.assertEqual(headers[b"Content-Encoding"], b"gzip")
        self.assertNotIn(b"Content-Length", headers)
        compressed = b"".join(message.get("body", b"") for message in bodies)
        self.assertEqual(gzip.decompress(compressed), b"chunk 0\nchunk 1\nchunk 2\n")

    async def test_async_iterator_closed_when_sending_fails(self):
        """
        When the server can't send any more (the client went away), the
        content's generator is finalized then, not when it is collected.
        """
        response = StreamingHttpResponse(chunks())
        sent = []

        async def send(message):
            if message["type"] == "http.response.body":
                raise OSError("client went away")
            sent.append(message)

        async def forever():
            try:
                while True:
                    yield b"more"
            finally:
                Finalized.done = True

        Finalized.done = False
        response.streaming_content = forever()
        with self.assertRaisesMessage(OSError, "client went away"):
            await ASGIHandler().send_response(response, send)
        self.assertIs(Finalized.done, True)
        self.assertEqual([message["type"] for message in sent], ["http.response.start"])
