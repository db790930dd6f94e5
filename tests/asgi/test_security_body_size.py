from asgiref.testing import ApplicationCommunicator

from django.core.asgi import get_asgi_application
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.http import HttpResponse
from django.test import AsyncRequestFactory, SimpleTestCase, override_settings
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

TOO_BIG = "Request body exceeded settings.DATA_UPLOAD_MAX_MEMORY_SIZE."


@csrf_exempt
def body_length(request):
    return HttpResponse(str(len(request.body)))


urlpatterns = [path("body/", body_length)]


async def spool_body(chunks):
    """Spool chunks into a body file the way ASGIHandler does."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks
    ]
    messages.append({"type": "http.request"})

    async def receive():
        return messages.pop(0)

    return await ASGIHandler().read_body(receive)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=10)
class ASGIRequestBodySizeTests(SimpleTestCase):
    """
    CVE-2026-33034: DATA_UPLOAD_MAX_MEMORY_SIZE applies to the body an ASGI
    request received, whatever its Content-Length header says.
    """

    factory = AsyncRequestFactory()

    async def make_request(self, chunks, headers=(), method="POST"):
        scope = self.factory._base_scope(path="/", method=method, headers=list(headers))
        body_file = await spool_body(chunks)
        self.addCleanup(body_file.close)
        return ASGIRequest(scope, body_file)

    async def test_body_without_content_length_over_limit(self):
        request = await self.make_request([b"a" * 6, b"b" * 5])
        with self.assertRaisesMessage(RequestDataTooBig, TOO_BIG):
            request.body

    async def test_body_with_understated_content_length_over_limit(self):
        request = await self.make_request(
            [b"a" * 11], headers=[(b"content-length", b"3")]
        )
        with self.assertRaisesMessage(RequestDataTooBig, TOO_BIG):
            request.body

    async def test_body_with_invalid_content_length_over_limit(self):
        request = await self.make_request(
            [b"a" * 11], headers=[(b"content-length", b"3"), (b"content-length", b"3")]
        )
        self.assertEqual(request.META["CONTENT_LENGTH"], "3,3")
        with self.assertRaisesMessage(RequestDataTooBig, TOO_BIG):
            request.body

    async def test_form_without_content_length_over_limit(self):
        request = await self.make_request(
            [b"a=" + b"x" * 20],
            headers=[(b"content-type", b"application/x-www-form-urlencoded")],
        )
        with self.assertRaisesMessage(RequestDataTooBig, TOO_BIG):
            request.POST

    async def test_body_at_limit_without_content_length(self):
        request = await self.make_request([b"a" * 4, b"b" * 6])
        self.assertEqual(request.body, b"aaaabbbbbb")
        # The body can still be read as a stream afterwards.
        self.assertEqual(request.read(), b"aaaabbbbbb")

    async def test_body_with_exact_content_length(self):
        request = await self.make_request(
            [b"0123456789"], headers=[(b"content-length", b"10")]
        )
        self.assertEqual(request.body, b"0123456789")

    @override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=None)
    async def test_no_limit(self):
        request = await self.make_request([b"a" * 100])
        self.assertEqual(request.body, b"a" * 100)

    async def test_stream_reading_is_not_limited(self):
        # The limit is on what request.body holds in memory; reading the
        # request as a stream stays the view's business, as with WSGI.
        request = await self.make_request([b"a" * 100])
        self.assertEqual(len(request.read()), 100)


@override_settings(ROOT_URLCONF=__name__, DATA_UPLOAD_MAX_MEMORY_SIZE=10)
class ASGIHandlerBodySizeTests(SimpleTestCase):
    async def post(self, body, headers):
        application = get_asgi_application()
        scope = AsyncRequestFactory()._base_scope(
            path="/body/", method="POST", headers=headers
        )
        communicator = ApplicationCommunicator(application, scope)
        await communicator.send_input(
            {"type": "http.request", "body": body, "more_body": True}
        )
        await communicator.send_input({"type": "http.request"})
        response_start = await communicator.receive_output()
        response_body = await communicator.receive_output()
        await communicator.wait()
        return response_start["status"], response_body["body"]

    async def test_body_over_limit_is_rejected(self):
        for headers in ([], [(b"content-length", b"1")]):
            with self.subTest(headers=headers):
                status, body = await self.post(b"a" * 11, headers)
                self.assertEqual(status, 400, body)

    async def test_body_within_limit_is_served(self):
        status, content = await self.post(b"a" * 10, [])
        self.assertEqual(status, 200)
        self.assertEqual(content, b"10")
