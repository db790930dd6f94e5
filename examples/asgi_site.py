"""A one-file Django site whose async views query natively.

Serve it (after `pip install ".[async-pool]" uvicorn`, from this folder):

    POSTGRES_DB=asyncorm_example uvicorn asgi_site:application

then open http://127.0.0.1:8000/ (and /add/ to write a row). Or, without a
server, let the script send one request through Django's ASGI handler and
print the response:

    python examples/asgi_site.py              # SQLite: the thread path
    python examples/asgi_site.py --postgresql # PostgreSQL, native execution

On PostgreSQL it uses the database named by POSTGRES_DB (default
"asyncorm_example", which must exist) on POSTGRES_HOST/POSTGRES_PORT as
POSTGRES_USER, with OPTIONS["async_pool"] on; the response's "native" says
whether the view's queries ran on the event loop.
"""

import asyncio
import json
import os
import sys
import tempfile

import django
from django.conf import settings

POSTGRESQL = "--postgresql" in sys.argv[1:] or "POSTGRES_DB" in os.environ

if POSTGRESQL:
    DATABASE = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("POSTGRES_DB", "asyncorm_example"),
        "HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        "USER": os.environ.get("POSTGRES_USER", "postgres"),
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""),
        # Native execution: the a-methods await psycopg 3 on pooled
        # connections instead of running in a worker thread.
        "OPTIONS": {"async_pool": {"min_size": 1, "max_size": 10}},
    }
else:
    DATABASE = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.path.join(tempfile.mkdtemp(), "site.sqlite3"),
    }

settings.configure(
    DEBUG=True,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    SECRET_KEY="example only",
    DATABASES={"default": DATABASE},
    # The site stores its rows in auth's Group model, so that it needs no app
    # of its own.
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
)
django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.db.native import is_native  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


async def index(request):
    latest = Group.objects.order_by("-pk").values_list("name", flat=True)[:5]
    count, names = await asyncio.gather(  # two queries in flight at once
        Group.objects.acount(),
        _names(latest),
    )
    return JsonResponse({"groups": count, "latest": names, "native": is_native()})


async def _names(queryset):
    return [name async for name in queryset]


async def add(request):
    if is_native():
        # A transaction on the task's connection; on the thread path, async
        # transactions aren't available (they need native execution).
        async with transaction.atomic():
            group = await Group.objects.acreate(name=f"group {await _next()}")
    else:
        group = await Group.objects.acreate(name=f"group {await _next()}")
    return JsonResponse({"added": group.name, "native": is_native()})


async def _next():
    return await Group.objects.acount() + 1


urlpatterns = [path("", index), path("add/", add)]

call_command("migrate", verbosity=0)
application = get_asgi_application()


async def request(path):
    """One GET through the ASGI application, as a server would send it."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 50000),
    }
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    sent = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # No disconnect: the request completes.

    async def send(message):
        sent.append(message)

    await application(scope, receive, send)
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, json.loads(body)


async def main():
    for url in ("/add/", "/"):
        status, body = await request(url)
        print(url, status, body)
        if status != 200:
            sys.exit(1)
    if POSTGRESQL and not body["native"]:
        sys.exit("the view's queries did not run natively")


if __name__ == "__main__":
    asyncio.run(main())
