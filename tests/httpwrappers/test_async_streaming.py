import asyncio
import warnings

from asgiref.sync import async_to_sync

from django.http import StreamingHttpResponse
from django.test import SimpleTestCase

SYNC_SERVING_ASYNC = (
    "StreamingHttpResponse must consume asynchronous iterators in order to serve "
    "them synchronously. Use a synchronous iterator instead."
)
ASYNC_SERVING_SYNC = (
    "StreamingHttpResponse must consume synchronous iterators in order to serve "
    "them asynchronously. Use an asynchronous iterator instead."
)


async def agen(*chunks):
    for chunk in chunks:
        await asyncio.sleep(0)
        yield chunk


async def collect(aiterable):
    return [chunk async for chunk in aiterable]


class AsyncIterable:
    """An async iterable that isn't an async generator, with a close()."""

    def __init__(self, *chunks):
        self.chunks = list(chunks)
        self.closed = False

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.chunks:
            raise StopAsyncIteration
        return self.chunks.pop(0)

    def close(self):
        self.closed = True


class BothIterable(AsyncIterable):
    def __iter__(self):
        return iter(self.chunks)


class AsyncStreamingHttpResponseTests(SimpleTestCase):
    def test_is_async(self):
        self.assertIs(StreamingHttpResponse(agen(b"a")).is_async, True)
        self.assertIs(StreamingHttpResponse(AsyncIterable(b"a")).is_async, True)
        self.assertIs(StreamingHttpResponse([b"a"]).is_async, False)
        self.assertIs(StreamingHttpResponse(iter([b"a"])).is_async, False)
        self.assertIs(StreamingHttpResponse().is_async, False)

    def test_iterable_and_async_iterable_is_sync(self):
        response = StreamingHttpResponse(BothIterable(b"x", b"y"))
        self.assertIs(response.is_async, False)
        self.assertEqual(list(response), [b"x", b"y"])

    def test_not_iterable(self):
        with self.assertRaisesMessage(TypeError, "not iterable"):
            StreamingHttpResponse(42)

    async def test_streaming_content_makes_bytes(self):
        response = StreamingHttpResponse(agen("é", b"b", 3), charset="utf-8")
        self.assertFalse(hasattr(response.streaming_content, "__iter__"))
        self.assertEqual(
            await collect(response.streaming_content), ["é".encode(), b"b", b"3"]
        )

    async def test_async_iteration_of_async_content(self):
        response = StreamingHttpResponse(agen(b"hello ", "world"))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertEqual(await collect(response), [b"hello ", b"world"])
        self.assertEqual(caught, [])

    def test_sync_iteration_of_async_content(self):
        response = StreamingHttpResponse(agen(b"hello ", "world"))
        with self.assertWarnsMessage(Warning, SYNC_SERVING_ASYNC):
            chunks = list(response)
        self.assertEqual(chunks, [b"hello ", b"world"])

    async def test_async_iteration_of_sync_content(self):
        response = StreamingHttpResponse(iter([b"hello ", "world"]))
        with self.assertWarnsMessage(Warning, ASYNC_SERVING_SYNC):
            chunks = await collect(response)
        self.assertEqual(chunks, [b"hello ", b"world"])

    def test_sync_consumer_warning_names_its_caller(self):
        # The warning points at the code that iterates the response (here,
        # this module), not at django/http/response.py.
        response = StreamingHttpResponse(agen(b"a"))
        with self.assertWarnsMessage(Warning, SYNC_SERVING_ASYNC) as cm:
            list(response)
        self.assertEqual(cm.filename, __file__)

    def test_async_consumer_warning_names_its_caller(self):
        response = StreamingHttpResponse([b"a"])
        with self.assertWarnsMessage(Warning, ASYNC_SERVING_SYNC) as cm:
            async_to_sync(collect)(response)
        self.assertEqual(cm.filename, __file__)

    def test_sync_iteration_of_sync_content(self):
        response = StreamingHttpResponse(iter([b"hello ", "world"]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertEqual(list(response), [b"hello ", b"world"])
        self.assertEqual(caught, [])

    async def test_wrapping_async_content(self):
        """A middleware can replace streaming_content with a wrapper."""
        response = StreamingHttpResponse(agen(b"a", b"b"))
        original = response.streaming_content

        async def upper():
            async for chunk in original:
                yield chunk.upper()

        response.streaming_content = upper()
        self.assertIs(response.is_async, True)
        self.assertEqual(await collect(response), [b"A", b"B"])

    def test_replacing_async_content_with_sync(self):
        response = StreamingHttpResponse(agen(b"a"))
        response.streaming_content = [b"b"]
        self.assertIs(response.is_async, False)
        self.assertEqual(list(response), [b"b"])

    def test_streaming_content_taken_when_read(self):
        # The iterator in use when streaming_content is read is the one
        # consumed, whatever is assigned afterwards.
        response = StreamingHttpResponse(agen(b"first"))
        content = response.streaming_content
        response.streaming_content = agen(b"second")
        self.assertEqual(async_to_sync(collect)(content), [b"first"])
        self.assertEqual(async_to_sync(collect)(response), [b"second"])

    def test_close_closes_async_iterable(self):
        content = AsyncIterable(b"a")
        response = StreamingHttpResponse(content)
        self.assertEqual(async_to_sync(collect)(response), [b"a"])
        response.close()
        self.assertIs(content.closed, True)

    async def test_content_attribute(self):
        response = StreamingHttpResponse(agen(b"a"))
        msg = (
            "This StreamingHttpResponse instance has no `content` attribute. Use "
            "`streaming_content` instead."
        )
        with self.assertRaisesMessage(AttributeError, msg):
            response.content
