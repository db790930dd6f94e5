import warnings

from django.http import StreamingHttpResponse
from django.test import TestCase, override_settings
from django.urls import path

from .models import SimpleModel


async def stream_rows(request):
    rows = SimpleModel.objects.order_by("field").aiterator(chunk_size=2)
    return StreamingHttpResponse(f"{row.field}\n" async for row in rows)


urlpatterns = [path("rows/", stream_rows)]


@override_settings(ROOT_URLCONF="async.test_async_streaming")
class AsyncIteratorStreamingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        SimpleModel.objects.bulk_create(SimpleModel(field=i) for i in range(5))

    async def test_stream_aiterator(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            response = await self.async_client.get("/rows/")
            self.assertIs(response.is_async, True)
            content = b"".join([chunk async for chunk in response.streaming_content])
        self.assertEqual(content, b"0\n1\n2\n3\n4\n")
        self.assertEqual(
            [w for w in caught if "StreamingHttpResponse" in str(w.message)], []
        )

    async def test_client_stops_early(self):
        response = await self.async_client.get("/rows/")
        content = response.streaming_content
        self.assertEqual(await content.__anext__(), b"0\n")
        # Stopping closes the queryset's iterator at once, then the response.
        await content.aclose()
        with self.assertRaises(StopAsyncIteration):
            await content.__anext__()
