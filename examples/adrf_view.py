"""An async view of adrf (async Django REST framework) on the fork.

adrf asks for Django 4.1, so a plain `pip install adrf` replaces the fork with
upstream Django. This script checks the way the README and the install guide
document instead, which CI runs after `pip install .`:

    pip install --no-deps adrf
    pip install -c requirements/keep-fork.txt async-property djangorestframework

It stops with one line if the installed Django is not the fork (what the
plain install leads to), then serves two adrf views, an async APIView with an
async serializer and an async @api_view function, through Django's
AsyncClient, on SQLite.
"""

import asyncio
import sys
import tempfile
from pathlib import Path

import django
from django.conf import settings

if "+asyncorm" not in django.__version__:
    sys.exit(
        f"Django {django.__version__} is installed, not the asyncorm fork: install "
        "the library with --no-deps (see the README's Install section)"
    )


def configure(folder):
    settings.configure(
        DEBUG=True,
        SECRET_KEY="adrf-example",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "rest_framework",
        ],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.sqlite3",
                # A file, not ":memory:": the thread path runs the a-methods
                # in a worker thread, which must see the migrated tables.
                "NAME": str(Path(folder, "adrf.sqlite3")),
            }
        },
        REST_FRAMEWORK={"UNAUTHENTICATED_USER": None},
        USE_TZ=True,
    )
    django.setup()


with tempfile.TemporaryDirectory() as folder:
    configure(folder)

    from adrf.decorators import api_view
    from adrf.serializers import Serializer
    from adrf.views import APIView
    from rest_framework import serializers
    from rest_framework.response import Response

    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import AsyncClient
    from django.urls import path

    class GroupSerializer(Serializer):
        id = serializers.IntegerField(read_only=True)
        name = serializers.CharField(max_length=150)

        async def acreate(self, validated_data):
            return await Group.objects.acreate(**validated_data)

    class GroupList(APIView):
        async def get(self, request):
            groups = [group async for group in Group.objects.order_by("name")]
            return Response(await GroupSerializer(groups, many=True).adata)

        async def post(self, request):
            serializer = GroupSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            await serializer.asave()
            return Response(await serializer.adata, status=201)

    @api_view(["GET"])
    async def group_count(request):
        return Response({"count": await Group.objects.acount()})

    urlpatterns = [path("groups/", GroupList.as_view()), path("count/", group_count)]

    async def main():
        client = AsyncClient()
        for name in ("editors", "authors"):
            response = await client.post(
                "/groups/", {"name": name}, content_type="application/json"
            )
            assert response.status_code == 201, response.content
        response = await client.get("/groups/")
        assert response.status_code == 200, response.content
        names = [group["name"] for group in response.json()]
        assert names == ["authors", "editors"], names
        response = await client.get("/count/")
        assert response.json() == {"count": 2}, response.content
        print("adrf APIView: POST created 2 groups, GET listed", names)
        print("adrf @api_view: count", response.json()["count"])

    call_command("migrate", verbosity=0)
    print("Django", django.__version__, "with adrf")
    asyncio.run(main())
