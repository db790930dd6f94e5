import asyncio

from django.http import FileResponse, StreamingHttpResponse
from django.urls import path

test_filename = __file__


async def chunks():
    for number in range(3):
        await asyncio.sleep(0)
        yield f"chunk {number}\n"


async def async_streaming(request):
    return StreamingHttpResponse(chunks())


def sync_streaming(request):
    return StreamingHttpResponse(f"chunk {number}\n" for number in range(3))


class Finalized:
    """Records whether the generator's cleanup ran."""

    done = False


async def endless(request):
    async def forever():
        Finalized.done = False
        try:
            while True:
                await asyncio.sleep(0)
                yield b"more"
        finally:
            Finalized.done = True

    return StreamingHttpResponse(forever())


urlpatterns = [
    path("async/", async_streaming),
    path("sync/", sync_streaming),
    path("endless/", endless),
    path("file/", lambda request: FileResponse(open(test_filename, "rb"))),
]
