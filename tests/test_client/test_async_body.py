from django.http import HttpResponse
from django.test import AsyncRequestFactory, SimpleTestCase, override_settings
from django.urls import path


async def echo_post(request):
    return HttpResponse(",".join(f"{k}={v}" for k, v in sorted(request.POST.items())))


urlpatterns = [path("echo/", echo_post)]


@override_settings(ROOT_URLCONF="test_client.test_async_body")
class AsyncRequestBodyTests(SimpleTestCase):
    def test_request_factory_multipart(self):
        request = AsyncRequestFactory().post("/", {"name": "value", "other": "2"})
        self.assertEqual(request.POST.dict(), {"name": "value", "other": "2"})

    def test_request_factory_body_read_past_its_end(self):
        request = AsyncRequestFactory().post(
            "/", b"abc", content_type="application/octet-stream"
        )
        self.assertEqual(request.read(1024), b"abc")
        self.assertEqual(request.read(1024), b"")

    async def test_async_client_multipart(self):
        response = await self.async_client.post("/echo/", {"a": "1", "b": "2"})
        self.assertEqual(response.content, b"a=1,b=2")
