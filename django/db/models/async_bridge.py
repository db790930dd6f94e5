"""
The single crossing point from the ORM's async API into its sync code.

The a-prefixed methods of QuerySet and of the related managers, as well as
``async for`` over a queryset and QuerySet.aiterator(), never call the
database themselves: they hand the matching synchronous method to this module.
For now that means running it in asgiref's thread-sensitive worker, because
the database drivers block and Django's connections belong to one thread.

Keeping the hand-off here, rather than spread over every method, leaves one
place to change once a backend can execute queries natively on the event loop
(psycopg 3's async connections): replacing run_sync() and iterate_in_chunks()
switches every async ORM entry point at once.
"""

from itertools import islice

from asgiref.sync import sync_to_async

__all__ = ["iterate_in_chunks", "run_sync"]


async def run_sync(func, /, *args, **kwargs):
    """Await func(*args, **kwargs), run where sync ORM code may safely run."""
    return await sync_to_async(func, thread_sensitive=True)(*args, **kwargs)


def _next_chunk(iterator, size):
    return list(islice(iterator, size))


async def iterate_in_chunks(iterator, chunk_size):
    """
    Asynchronously yield the items of a synchronous iterator.

    Each trip through run_sync() takes up to chunk_size items, so a database
    cursor behind the iterator is only ever advanced in the worker thread.
    """
    exhausted = False
    try:
        while not exhausted:
            chunk = await run_sync(_next_chunk, iterator, chunk_size)
            exhausted = len(chunk) < chunk_size
            for item in chunk:
                yield item
    finally:
        # Closing a generator that stopped early releases its cursor, which
        # is database work too, so it goes through the same thread.
        if not exhausted and hasattr(iterator, "close"):
            await run_sync(iterator.close)
