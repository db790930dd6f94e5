from django.db import transaction
from django.http import HttpResponse

from .models import Author


async def create(request):
    author = await Author.objects.acreate(name=request.GET["name"])
    return HttpResponse(str(connection_in_block()) + " %d" % author.pk)


async def create_in_block(request):
    async with transaction.atomic():
        await Author.objects.acreate(name=request.GET["name"])
        if "fail" in request.GET:
            transaction.set_rollback(True)
        return HttpResponse(str(connection_in_block()))


async def fail_after_write(request):
    await Author.objects.acreate(name="lost")
    raise ValueError("the view failed")


def connection_in_block():
    from django.db import connections

    return connections["default"].in_atomic_block
