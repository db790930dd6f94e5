from django.core.files.uploadedfile import (
    InMemoryUploadedFile,
    SimpleUploadedFile,
    TemporaryUploadedFile,
)
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.http import QueryDict
from django.test import AsyncRequestFactory, SimpleTestCase, override_settings
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils.datastructures import MultiValueDict


async def spool_body(body):
    """Spool body into a body file the way ASGIHandler does."""
    messages = [{"type": "http.request", "body": body}]

    async def receive():
        return messages.pop(0)

    return await ASGIHandler().read_body(receive)


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=1000)
class ASGIUploadMemorySizeTests(SimpleTestCase):
    """
    CVE-2026-5766: whether an upload is kept in memory depends on the size of
    the body an ASGI request received, not on an understated Content-Length.
    """

    factory = AsyncRequestFactory()

    async def make_request(self, content, content_length=None):
        body = encode_multipart(
            BOUNDARY, {"name": "value", "file": SimpleUploadedFile("f.txt", content)}
        )
        if content_length is None:
            content_length = len(body)
        scope = self.factory._base_scope(
            path="/",
            method="POST",
            headers=[
                (b"content-type", MULTIPART_CONTENT.encode()),
                (b"content-length", str(content_length).encode()),
            ],
        )
        body_file = await spool_body(body)
        self.addCleanup(body_file.close)
        request = ASGIRequest(scope, body_file)
        self.addCleanup(request.close)
        return request

    async def test_understated_content_length_large_file_goes_to_disk(self):
        request = await self.make_request(b"x" * 5000, content_length=10)
        upload = request.FILES["file"]
        self.assertIsInstance(upload, TemporaryUploadedFile)
        self.assertEqual(upload.read(), b"x" * 5000)
        self.assertEqual(request.POST["name"], "value")
        # The header as sent is still what META holds.
        self.assertEqual(request.META["CONTENT_LENGTH"], "10")

    async def test_exact_content_length_large_file_goes_to_disk(self):
        request = await self.make_request(b"x" * 5000)
        self.assertIsInstance(request.FILES["file"], TemporaryUploadedFile)

    async def test_small_file_stays_in_memory(self):
        for content_length in (None, 10):
            with self.subTest(content_length=content_length):
                request = await self.make_request(b"x" * 10, content_length)
                upload = request.FILES["file"]
                self.assertIsInstance(upload, InMemoryUploadedFile)
                self.assertEqual(upload.read(), b"x" * 10)

    async def test_upload_handlers_get_received_size(self):
        request = await self.make_request(b"x" * 5000, content_length=10)
        seen = []

        class RecordingHandler:
            chunk_size = None

            def handle_raw_input(self, input_data, META, content_length, *args):
                seen.append(content_length)
                return QueryDict(), MultiValueDict()

        request.upload_handlers = [RecordingHandler()]
        request.POST
        body_size = request._stream.seek(0, 2)
        self.assertEqual(seen, [body_size])
