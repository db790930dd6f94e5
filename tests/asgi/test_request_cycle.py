"""
The request cycle of ASGIHandler on the event loop: the request signals sent
with Signal.asend(), a client's disconnect ending the view, the request body
spooled off the loop once it goes to disk.
"""

import asyncio
import tempfile
import threading
from unittest import mock, skipUnless

from asgiref.sync import SyncToAsync, sync_to_async
from asgiref.testing import ApplicationCommunicator

from django.contrib.contenttypes.models import ContentType
from django.core.asgi import get_asgi_application
from django.core.cache import caches
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection, connections, native
from django.http import HttpResponse, StreamingHttpResponse
from django.test import (
    AsyncRequestFactory,
    SimpleTestCase,
    TransactionTestCase,
    override_settings,
)
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


class ViewLog:
    """What the views saw, and events that let a test wait for them."""

    def reset(self):
        self.entries = []
        self.started = threading.Event()
        self.release = threading.Event()
        self.done = threading.Event()


log = ViewLog()


async def async_hello(request):
    return HttpResponse("hello")


async def async_waits(request):
    log.started.set()
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        log.entries.append("cancelled")
        raise
    return HttpResponse("too late")


async def async_catches_cancel(request):
    log.started.set()
    try:
        await asyncio.sleep(30)
    except asyncio.CancelledError:
        log.entries.append("cancelled")
    return HttpResponse("caught")


@csrf_exempt
def sync_waits(request):
    log.started.set()
    log.release.wait(5)
    # The handler must not have closed the body under the running view.
    log.entries.append(request.body)
    log.done.set()
    return HttpResponse("sync")


def sync_uses_connection(request):
    # The connection of this thread, as close_old_connections() finds it there.
    connection = connections["default"]

    def record():
        log.entries.append(threading.get_ident())

    connection.close_if_unusable_or_obsolete = record
    log.entries.append(threading.get_ident())
    return HttpResponse("sync")


async def async_streams(request):
    async def content():
        try:
            yield b"first"
            log.started.set()
            await asyncio.sleep(30)
            yield b"second"
        finally:
            log.entries.append("closed")

    return StreamingHttpResponse(content())


@csrf_exempt
async def async_echo(request):
    return HttpResponse(request.body)


async def async_counts(request):
    return HttpResponse(str(await ContentType.objects.acount()))


async def async_uses_cache(request):
    caches["default"]
    return HttpResponse("cache")


urlpatterns = [
    path("hello/", async_hello),
    path("waits/", async_waits),
    path("catches/", async_catches_cancel),
    path("sync-waits/", sync_waits),
    path("sync-connection/", sync_uses_connection),
    path("streams/", async_streams),
    path("echo/", async_echo),
    path("cache/", async_uses_cache),
    path("counts/", async_counts),
]


class SignalLog:
    """Connected to the request signals for the duration of a test."""

    def __init__(self, test):
        self.sent = []
        for signal in (request_started, request_finished):
            signal.connect(self.receive)
            test.addCleanup(signal.disconnect, self.receive)

    async def receive(self, signal, **kwargs):
        self.sent.append("started" if signal is request_started else "finished")


@override_settings(ROOT_URLCONF="asgi.test_request_cycle", MIDDLEWARE=[])
class RequestCycleTestCase(SimpleTestCase):
    factory = AsyncRequestFactory()

    def setUp(self):
        log.reset()
        self.signals = SignalLog(self)

    def communicator(self, path, method="GET", **kwargs):
        scope = self.factory._base_scope(path=path, method=method, **kwargs)
        return ApplicationCommunicator(get_asgi_application(), scope)

    async def assertNothingSent(self, communicator):
        self.assertIs(await communicator.receive_nothing(timeout=0.2), True)


class ServerLoopMixin:
    """
    Run requests as a server runs the application: an event loop with no
    thread above it blocked in async_to_sync(), so that a thread-sensitive
    call starts the request's own thread.
    """

    factory = AsyncRequestFactory()

    def run_request(self, path):
        messages = [{"type": "http.request"}]
        sent = []

        async def receive():
            if messages:
                return messages.pop(0)
            # Nothing after the body until the client goes away.
            await asyncio.sleep(30)

        async def send(message):
            sent.append(message)

        scope = self.factory._base_scope(path=path)
        application = get_asgi_application()

        async def serve():
            self.loop_thread = threading.get_ident()
            await application(scope, receive, send)

        # A new thread starts with an empty context, as a server's loop does.
        server = threading.Thread(target=asyncio.run, args=[serve()])
        server.start()
        server.join(10)
        return sent

    def counting_hops(self):
        hops = []
        original = SyncToAsync.__call__

        async def call(self, *args, **kwargs):
            hops.append(self.func)
            return await original(self, *args, **kwargs)

        return hops, mock.patch.object(SyncToAsync, "__call__", call)


class RequestSignalsOnLoopTests(ServerLoopMixin, RequestCycleTestCase):
    def test_async_view_no_thread(self):
        """
        With Django's own receivers connected (connections, queries, URLconf,
        caches), an async view's request goes through without a thread.
        """
        self.assertIn(close_old_connections, request_started._live_receivers(None)[0])
        self.assertIn(close_old_connections, request_finished._live_receivers(None)[0])
        hops, counting = self.counting_hops()
        with counting:
            sent = self.run_request("/hello/")
        self.assertEqual(sent[0]["status"], 200)
        self.assertEqual(sent[1]["body"], b"hello")
        self.assertEqual(hops, [])
        self.assertEqual(self.signals.sent, ["started", "finished"])

    def test_sync_receiver_still_in_thread(self):
        """A third-party synchronous receiver is still called in a thread."""
        threads = []

        def receiver(**kwargs):
            threads.append(threading.get_ident())

        request_finished.connect(receiver)
        self.addCleanup(request_finished.disconnect, receiver)
        self.run_request("/hello/")
        self.assertEqual(len(threads), 1)
        self.assertNotEqual(threads[0], self.loop_thread)

    def test_sync_view_connections_closed_in_its_thread(self):
        """
        Once a synchronous view has run in the request's thread, whose
        connections are its own, close_old_connections() runs there.
        """
        sent = self.run_request("/sync-connection/")
        self.assertEqual(sent[0]["status"], 200)
        view_thread, *closed_in = log.entries
        self.assertNotEqual(view_thread, self.loop_thread)
        self.assertEqual(closed_in, [view_thread])

    def test_cache_closed_in_thread(self):
        """Closing a cache the request used may block: it's done in a thread."""
        threads = []

        def close(cache, **kwargs):
            threads.append(threading.get_ident())

        with mock.patch("django.core.cache.backends.locmem.LocMemCache.close", close):
            self.run_request("/cache/")
        self.assertEqual(len(threads), 1)
        self.assertNotEqual(threads[0], self.loop_thread)

    def test_request_finished_once(self):
        self.run_request("/hello/")
        self.run_request("/sync-connection/")
        self.assertEqual(self.signals.sent, ["started", "finished"] * 2)


@override_settings(ROOT_URLCONF="asgi.test_request_cycle", MIDDLEWARE=[])
class NativeRequestCycleTests(ServerLoopMixin, TransactionTestCase):
    available_apps = ["django.contrib.contenttypes"]

    @skipUnless(native.enabled(connection.settings_dict), "native execution")
    def test_native_queries_no_thread(self):
        """
        An async view whose queries run natively leaves nothing in a thread
        for the request signals to clean up.
        """
        hops, counting = self.counting_hops()
        expected = str(ContentType.objects.count()).encode()
        with counting:
            sent = self.run_request("/counts/")
        self.assertEqual(sent[0]["status"], 200)
        self.assertEqual(sent[1]["body"], expected)
        self.assertEqual(hops, [])


class DisconnectTests(RequestCycleTestCase):
    async def test_disconnect_cancels_async_view(self):
        communicator = self.communicator("/waits/")
        await communicator.send_input({"type": "http.request"})
        await sync_to_async(log.started.wait)(5)
        await communicator.send_input({"type": "http.disconnect"})
        await communicator.wait(timeout=5)
        self.assertEqual(log.entries, ["cancelled"])
        self.assertEqual(self.signals.sent, ["started", "finished"])
        await self.assertNothingSent(communicator)

    async def test_view_catching_cancel_response_not_sent(self):
        communicator = self.communicator("/catches/")
        await communicator.send_input({"type": "http.request"})
        await sync_to_async(log.started.wait)(5)
        await communicator.send_input({"type": "http.disconnect"})
        await communicator.wait(timeout=5)
        self.assertEqual(log.entries, ["cancelled"])
        self.assertEqual(self.signals.sent, ["started", "finished"])
        await self.assertNothingSent(communicator)

    async def test_disconnect_during_sync_view(self):
        """
        A synchronous view can't be stopped: it runs to its end, with the
        request body still readable, and its response isn't sent.
        """
        communicator = self.communicator("/sync-waits/", method="POST")
        await communicator.send_input(
            {"type": "http.request", "body": b"part one, ", "more_body": True}
        )
        await communicator.send_input({"type": "http.request", "body": b"two"})
        await sync_to_async(log.started.wait, thread_sensitive=False)(5)
        await communicator.send_input({"type": "http.disconnect"})
        await asyncio.sleep(0.05)
        log.release.set()
        await communicator.wait(timeout=5)
        self.assertIs(log.done.is_set(), True)
        self.assertEqual(log.entries, [b"part one, two"])
        self.assertEqual(self.signals.sent, ["started", "finished"])
        await self.assertNothingSent(communicator)

    async def test_disconnect_while_streaming(self):
        communicator = self.communicator("/streams/")
        await communicator.send_input({"type": "http.request"})
        start = await communicator.receive_output()
        self.assertEqual(start["status"], 200)
        first = await communicator.receive_output()
        self.assertEqual(first["body"], b"first")
        await sync_to_async(log.started.wait)(5)
        await communicator.send_input({"type": "http.disconnect"})
        await communicator.wait(timeout=5)
        self.assertEqual(log.entries, ["closed"])
        self.assertEqual(self.signals.sent, ["started", "finished"])
        await self.assertNothingSent(communicator)

    async def test_disconnect_after_response(self):
        communicator = self.communicator("/hello/")
        await communicator.send_input({"type": "http.request"})
        self.assertEqual((await communicator.receive_output())["status"], 200)
        self.assertEqual((await communicator.receive_output())["body"], b"hello")
        await communicator.wait(timeout=5)
        await communicator.send_input({"type": "http.disconnect"})
        self.assertEqual(self.signals.sent, ["started", "finished"])

    async def test_disconnect_before_body_complete(self):
        communicator = self.communicator("/echo/", method="POST")
        await communicator.send_input(
            {"type": "http.request", "body": b"partial", "more_body": True}
        )
        await communicator.send_input({"type": "http.disconnect"})
        await communicator.wait(timeout=5)
        self.assertEqual(self.signals.sent, [])
        await self.assertNothingSent(communicator)

    async def test_view_gets_whole_body(self):
        communicator = self.communicator("/echo/", method="POST")
        await communicator.send_input(
            {"type": "http.request", "body": b"one ", "more_body": True}
        )
        await communicator.send_input({"type": "http.request", "body": b"two"})
        self.assertEqual((await communicator.receive_output())["status"], 200)
        self.assertEqual((await communicator.receive_output())["body"], b"one two")
        await communicator.wait(timeout=5)

    async def test_invalid_message_after_body(self):
        communicator = self.communicator("/waits/")
        await communicator.send_input({"type": "http.request"})
        await sync_to_async(log.started.wait)(5)
        await communicator.send_input({"type": "http.request"})
        msg = "Invalid ASGI message after request body: http.request"
        with self.assertRaisesMessage(AssertionError, msg):
            await communicator.wait(timeout=5)
        self.assertEqual(log.entries, ["cancelled"])
        self.assertEqual(self.signals.sent, ["started", "finished"])

    async def test_server_cancels_application(self):
        """
        A cancellation from outside (a server shutting down) isn't taken for
        a disconnect: it reaches the server, after request_finished.
        """
        communicator = self.communicator("/waits/")
        await communicator.send_input({"type": "http.request"})
        await sync_to_async(log.started.wait)(5)
        communicator.future.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await communicator.future
        self.assertEqual(log.entries, ["cancelled"])
        self.assertEqual(self.signals.sent, ["started", "finished"])


class RecordingSpooledFile(tempfile.SpooledTemporaryFile):
    """Record in which thread, and whether on disk, each write happens."""

    writes = []

    def write(self, data):
        on_disk_before = self._rolled
        result = super().write(data)
        self.writes.append((threading.get_ident(), on_disk_before or self._rolled))
        return result


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=10)
class BodySpoolingTests(RequestCycleTestCase):
    def setUp(self):
        super().setUp()
        RecordingSpooledFile.writes = []
        patcher = mock.patch(
            "django.core.handlers.asgi.tempfile.SpooledTemporaryFile",
            RecordingSpooledFile,
        )
        patcher.start()
        self.addCleanup(patcher.stop)

    async def post(self, chunks):
        communicator = self.communicator("/echo/", method="POST")
        for chunk in chunks[:-1]:
            await communicator.send_input(
                {"type": "http.request", "body": chunk, "more_body": True}
            )
        await communicator.send_input({"type": "http.request", "body": chunks[-1]})
        self.assertEqual((await communicator.receive_output())["status"], 200)
        body = (await communicator.receive_output())["body"]
        await communicator.wait(timeout=5)
        return body

    async def test_in_memory_on_loop(self):
        loop_thread = threading.get_ident()
        self.assertEqual(await self.post([b"12345", b"67890"]), b"1234567890")
        self.assertEqual(
            RecordingSpooledFile.writes, [(loop_thread, False), (loop_thread, False)]
        )

    async def test_on_disk_in_thread(self):
        loop_thread = threading.get_ident()
        chunks = [b"12345", b"678901", b"abc", b"def"]
        self.assertEqual(await self.post(chunks), b"".join(chunks))
        (first_thread, first_on_disk), *later = RecordingSpooledFile.writes
        self.assertEqual((first_thread, first_on_disk), (loop_thread, False))
        self.assertEqual(len(later), 3)
        for thread, on_disk in later:
            self.assertNotEqual(thread, loop_thread)
            self.assertIs(on_disk, True)
