"""The whole-app scenario's site: a small ASGI Django project in one module.

uvicorn serves it (``uvicorn webapp:application --app-dir benchmarks``) in a
subprocess of the worker, with the settings in the BENCH_APP_SETTINGS
environment variable (JSON: the contender's DATABASES and the PROFILE). The
views are async and use the a-methods, so the same code runs through
sync_to_async or natively, as the database's OPTIONS say.

Profiles: "plain" has no middleware; "sessions" has SessionMiddleware and
AuthenticationMiddleware with database sessions, and every view but the
probe answers 403 unless request.auser() is a logged-in user, so each request
also loads its session row and its user.
"""

from __future__ import annotations

import json
import os

import django
from django.conf import settings

CONFIG = json.loads(os.environ["BENCH_APP_SETTINGS"])
SESSIONS = CONFIG.get("PROFILE", "plain") == "sessions"

settings.configure(
    DEBUG=False,
    SECRET_KEY="benchmarks-only",  # worker.SECRET_KEY: it signed the sessions
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        *(
            [
                "django.contrib.auth",
                "django.contrib.contenttypes",
                "django.contrib.sessions",
            ]
            if SESSIONS
            else []
        ),
        "benchapp",
    ],
    MIDDLEWARE=(
        [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ]
        if SESSIONS
        else []
    ),
    SESSION_ENGINE="django.contrib.sessions.backends.db",
    DATABASES=CONFIG["DATABASES"],
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    USE_TZ=True,
)
django.setup()

from benchapp.models import Counter, Item  # noqa: E402
from runners import native_probe  # noqa: E402

from django.core.asgi import get_asgi_application  # noqa: E402
from django.db.models import F  # noqa: E402
from django.http import HttpResponseForbidden, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

PAGE = 20


def item_dict(item: Item) -> dict:
    return {"id": item.id, "name": item.name, "number": item.number}


def logged_in(view):
    """In the sessions profile, answer 403 unless the request's user is
    logged in (request.auser(): the session row, then the user row)."""
    if not SESSIONS:
        return view

    async def wrapper(request, *args, **kwargs):
        user = await request.auser()
        if not user.is_authenticated:
            return HttpResponseForbidden()
        return await view(request, *args, **kwargs)

    return wrapper


async def health(request):
    return JsonResponse({"ok": True})


@logged_in
async def item(request, pk):
    """Read one row by primary key."""
    return JsonResponse(item_dict(await Item.objects.aget(pk=pk)))


@logged_in
async def items(request, page):
    """List PAGE rows."""
    start = page * PAGE
    rows = [
        item_dict(i) async for i in Item.objects.order_by("id")[start : start + PAGE]
    ]
    return JsonResponse({"items": rows})


@logged_in
async def bump(request, pk):
    """Write: increment a counter row in the database, with F()."""
    updated = await Counter.objects.filter(pk=pk).aupdate(value=F("value") + 1)
    return JsonResponse({"updated": updated}, status=200 if updated == 1 else 404)


async def probe(request):
    """Whether this server runs the a-methods natively (see native_probe)."""
    return JsonResponse(await native_probe())


urlpatterns = [
    path("health", health),
    path("item/<int:pk>", item),
    path("items/<int:page>", items),
    path("bump/<int:pk>", bump),
    path("probe", probe),
]

application = get_asgi_application()
