"""
Counting the trips to a thread that async code makes, for the tests that
check that sessions and auth run natively (auth_tests, sessions_tests).
"""

from contextlib import contextmanager
from unittest import mock

from asgiref.sync import SyncToAsync

from django.db import connections, native


def runs_natively(alias="default"):
    """Whether the test settings turn native execution on for alias."""
    return native.enabled(connections[alias].settings_dict)


@contextmanager
def thread_hops():
    """Record the functions that sync_to_async() runs inside the block."""
    calls = []
    original = SyncToAsync.__call__

    async def recording(self, *args, **kwargs):
        calls.append(self.func)
        return await original(self, *args, **kwargs)

    with mock.patch.object(SyncToAsync, "__call__", recording):
        yield calls
