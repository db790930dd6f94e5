"""
The single crossing point from the ORM's async API into its sync code.

The a-prefixed methods of QuerySet, of models and of the related managers, as
well as ``async for`` over a queryset and QuerySet.aiterator(), never call the
database themselves: they hand the matching synchronous method to this
module, which decides, per call, where it runs:

- natively, when the databases the call uses have OPTIONS["async_pool"]: the
  synchronous code runs on the event loop in a greenlet, on connections of its
  own that await the driver (django.db.native), so concurrent calls overlap;
- otherwise in asgiref's thread-sensitive worker, because the drivers block
  and Django's connections belong to one thread.
"""

from asyncio import current_task
from itertools import islice

from asgiref.sync import sync_to_async

from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections, router
from django.db.native import OPTION, CallScope, native_aliases
from django.db.native_atomic import AtomicLevel, current_level
from django.utils.greenlet_bridge import spawn

__all__ = [
    "enter_atomic",
    "exit_atomic",
    "iterate_in_chunks",
    "run_sync",
    "run_sync_using",
]


def _call_aliases(target):
    """The aliases that a call on target (a QuerySet, manager or model) uses."""
    from django.db.models import Model, QuerySet
    from django.db.models.manager import BaseManager

    if isinstance(target, (QuerySet, BaseManager)):
        model, using = target.model, target._db
    elif isinstance(target, Model):
        model, using = type(target), target._state.db
    elif isinstance(target, (list, tuple)) and target:
        # prefetch_related_objects(instances, ...)
        return _call_aliases(target[0])
    elif isinstance(target, str):
        # The functions of django.db.transaction take an alias.
        return (target,)
    elif getattr(target, "gi_frame", None) is not None:
        # The rows generator of a queryset (iterate_in_chunks()).
        return _call_aliases(target.gi_frame.f_locals.get("self"))
    else:
        return (DEFAULT_DB_ALIAS,)
    if using:
        return (using,)
    return (router.db_for_read(model), router.db_for_write(model))


def _runs_natively(target):
    """
    Whether a call on target runs natively. target (what the call is a method
    of, or its first argument) is only looked at when some aliases run
    natively and others don't.
    """
    aliases = native_aliases(connections)
    if not aliases:
        return False
    if len(aliases) == len(connections.settings):
        return True
    return all(alias in aliases for alias in _call_aliases(target))


def _native_step(scope):
    """Run a sync function natively, with the connections of scope."""

    async def step(func, /, *args, **kwargs):
        with scope:
            return await spawn(func, *args, **kwargs)

    return step


async def _run_natively(func, /, *args, **kwargs):
    # The call uses the connections its task holds (taken from the pool by
    # the task's first call on each alias).
    scope = CallScope(connections, current_level(), current_task())
    try:
        with scope:
            return await spawn(func, *args, **kwargs)
    finally:
        await scope.release()


async def run_sync(func, /, *args, **kwargs):
    """Await func(*args, **kwargs), run where sync ORM code may safely run."""
    if _runs_natively(getattr(func, "__self__", args[0] if args else None)):
        return await _run_natively(func, *args, **kwargs)
    return await sync_to_async(func, thread_sensitive=True)(*args, **kwargs)


async def run_sync_using(using, func, /, *args, **kwargs):
    """
    run_sync() for a function that runs its queries on database using (the
    functions of django.db.transaction, whose first argument isn't an alias).
    """
    if _runs_natively(using or DEFAULT_DB_ALIAS):
        return await _run_natively(func, *args, **kwargs)
    return await sync_to_async(func, thread_sensitive=True)(*args, **kwargs)


async def enter_atomic(atomic):
    """
    ``async with atomic:`` for a transaction.Atomic: the block's connection
    is pinned to the running task, then the synchronous __enter__() runs on
    it natively (a transaction, or a savepoint in an enclosing block).
    """
    alias = atomic.using or DEFAULT_DB_ALIAS
    if alias not in native_aliases(connections):
        raise NotSupportedError(
            "'async with transaction.atomic()' needs native asynchronous "
            "execution on database '%s': set OPTIONS['%s'] in its settings "
            "(PostgreSQL with psycopg 3). Without it, put the block in a "
            "synchronous function and call that with sync_to_async()." % (alias, OPTION)
        )
    level = AtomicLevel.enter(connections, alias)
    if level.defer_entry(atomic):
        return
    try:
        await _run_natively(atomic.__enter__)
    except BaseException:
        level.closing = True
        await level.exit()
        raise


async def exit_atomic(atomic, exc_type, exc_value, traceback):
    """The end of ``async with atomic:``: commit or roll back, then unpin."""
    level = AtomicLevel.current().block_for(atomic.using or DEFAULT_DB_ALIAS)
    # From now on, tasks created in this level can't use the connection.
    level.closing = True
    if level.pending is not None:
        # Never entered: the block ran no query, so there is nothing to
        # commit or roll back.
        level.pending = None
        await level.exit()
        return
    try:
        await _run_natively(atomic.__exit__, exc_type, exc_value, traceback)
    finally:
        await level.exit()


def _next_chunk(iterator, size):
    return list(islice(iterator, size))


async def iterate_in_chunks(iterator, chunk_size):
    """
    Asynchronously yield the items of a synchronous iterator.

    Each trip into sync code takes up to chunk_size items. On the native path
    the whole iteration is one call: its connection (and server-side cursor)
    is kept from the first chunk to the last. Otherwise each chunk goes
    through run_sync(), so a database cursor behind the iterator is only ever
    advanced in the worker thread.
    """
    if _runs_natively(iterator):
        # Connections of its own, not its task's: its server-side cursor
        # stays open while the task makes other calls between two chunks.
        scope = CallScope(connections, current_level())
        step = _native_step(scope)
    else:
        scope, step = None, run_sync
    exhausted = False
    try:
        while not exhausted:
            chunk = await step(_next_chunk, iterator, chunk_size)
            exhausted = len(chunk) < chunk_size
            for item in chunk:
                yield item
    finally:
        try:
            # Closing a generator that stopped early releases its cursor,
            # which is database work too, so it goes through the same path.
            if not exhausted and hasattr(iterator, "close"):
                await step(iterator.close)
        finally:
            if scope is not None:
                await scope.release()
