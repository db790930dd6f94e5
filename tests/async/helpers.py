from contextlib import asynccontextmanager

from asgiref.sync import sync_to_async

from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext


class AsyncQueryCountMixin:
    """
    assertNumQueries() for async tests.

    On Django 4.0, TestCase.assertNumQueries() can't be entered on the event
    loop: it looks the connection up in the loop's context (not the thread
    that runs the ORM's queries) and opens it there, which async_unsafe
    forbids. This variant starts and stops the capture in that thread.
    """

    @asynccontextmanager
    async def assertNumQueriesAsync(self, num, using=DEFAULT_DB_ALIAS):
        def start():
            capture = CaptureQueriesContext(connections[using])
            capture.__enter__()
            return capture

        capture = await sync_to_async(start, thread_sensitive=True)()
        try:
            yield capture
        finally:
            await sync_to_async(capture.__exit__, thread_sensitive=True)(
                None, None, None
            )
        executed = len(capture)
        self.assertEqual(
            executed,
            num,
            "%d queries executed, %d expected. Queries:\n%s"
            % (
                executed,
                num,
                "\n".join(query["sql"] for query in capture.captured_queries),
            ),
        )
