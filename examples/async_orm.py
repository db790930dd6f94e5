"""A short tour of the fork's asynchronous ORM interface on SQLite.

Run it after `pip install .`: python examples/async_orm.py
"""

import asyncio
import os
import tempfile

import django
from django.conf import settings

settings.configure(
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # A file, not ":memory:": the async methods run their queries on a
            # worker thread, and each thread has its own in-memory database.
            "NAME": os.path.join(tempfile.mkdtemp(), "tour.sqlite3"),
        }
    },
    USE_TZ=True,
)
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402


async def tour():
    ada = await User.objects.acreate(username="ada", first_name="Ada")
    await User.objects.acreate(username="grace", first_name="Grace")
    # A related manager creates the group and links it to the user.
    await ada.groups.acreate(name="analysts")

    user = await User.objects.aget(username="ada")
    print("aget:", user.first_name)
    print("acount:", await User.objects.acount())
    names = [u.username async for u in User.objects.order_by("username")]
    print("async for:", ", ".join(names))
    print("groups of ada:", [g.name async for g in user.groups.all()])


if __name__ == "__main__":
    call_command("migrate", verbosity=0)
    print("Django", django.get_version())
    asyncio.run(tour())
