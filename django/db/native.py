"""
Native asynchronous execution: task-local connections from per-loop pools.

A database alias whose OPTIONS set "async_pool" runs the async ORM natively:
django.db.async_bridge runs the synchronous ORM code in a greenlet on
the event loop (django.utils.greenlet_bridge) inside a *scope*, and while the
scope is current, ``connections[alias]`` returns a connection that belongs to
that one call and awaits the backend's asynchronous driver. The connection is
taken from the alias's pool when the call first needs it and given back, clean,
when the call ends, so concurrent tasks use connections of their own.

This module holds what is common to every backend: the scope, the per-loop
registry of pools (a pool belongs to the loop that opened it and is closed when
that loop shuts down), the test framework's lending of its connections, and
the configuration checks. A backend that supports native execution provides a
``native`` module with a ``NativePool`` class (see
django.db.backends.postgresql.native).
"""

import asyncio
import collections
import contextvars
import threading
from importlib import import_module

from django.core.exceptions import ImproperlyConfigured
from django.db.pool_options import check_pool_option
from django.utils.greenlet_bridge import greenlet_available

__all__ = [
    "CallScope",
    "aclose_pools",
    "arelease_connections",
    "close_pools",
    "current_scope",
    "is_native",
    "lend",
    "native_aliases",
    "pool_for",
    "reclaim",
    "release_connections",
]

OPTION = "async_pool"

# The native call running in this task, if any (a CallScope).
_call = contextvars.ContextVar("django_native_call", default=None)


def current_scope():
    """
    Return what gives connections[alias] its connection here: the native call
    running in this task, else the innermost ``async with atomic()`` level of
    the task (see django.db.native_atomic), else None.
    """
    return _call.get() or native_atomic.current_level()


def native_aliases(connections):
    """Return the aliases of DATABASES whose OPTIONS turn native execution on."""
    # Not cached: tests change OPTIONS in place (the dicts stay the same), and
    # reading a few dicts costs less than noticing that they changed.
    return frozenset(
        alias
        for alias, settings_dict in connections.settings.items()
        if enabled(settings_dict)
    )


def is_native(using=None):
    """
    Return whether the ORM's async calls on database ``using`` made from here
    run natively: on the running event loop, on a connection of the alias's
    async pool, rather than in a worker thread.
    """
    from django.db import DEFAULT_DB_ALIAS, connections

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        # Synchronous code in a thread: its async calls would need a loop.
        return False
    alias = using or DEFAULT_DB_ALIAS
    if alias not in connections.settings or not enabled(connections.settings[alias]):
        return False
    try:
        check_support(connections.settings[alias], alias)
    except ImproperlyConfigured:
        return False
    return True


def enabled(settings_dict):
    """Whether the settings of a database turn native execution on."""
    value = (settings_dict.get("OPTIONS") or {}).get(OPTION)
    return value is not None and value is not False


def check_support(settings_dict, alias):
    """
    Raise ImproperlyConfigured unless native execution can run as the
    settings of alias ask; return the keyword arguments for its pool and the
    backend's native module.
    """
    pool_kwargs = check_option(settings_dict, alias)
    backend = _backend_native_module(settings_dict, alias)
    if not greenlet_available():
        raise ImproperlyConfigured(
            "OPTIONS['%s'] of database '%s' needs the greenlet package; install "
            "Django with the async-pool extra." % (OPTION, alias)
        )
    return pool_kwargs, backend


def check_option(settings_dict, alias):
    """
    Return the keyword arguments for the pool that OPTIONS["async_pool"] asks
    for, raising ImproperlyConfigured if it can't be honored.
    """
    return check_pool_option(settings_dict, alias, OPTION)


def _backend_native_module(settings_dict, alias):
    engine = settings_dict["ENGINE"]
    try:
        return import_module("%s.native" % engine)
    except ImportError as e:
        if e.name != "%s.native" % engine:
            raise ImproperlyConfigured(
                "OPTIONS['%s'] of database '%s' can't be used: %s." % (OPTION, alias, e)
            )
        raise ImproperlyConfigured(
            "OPTIONS['%s'] of database '%s' isn't supported by the %s backend; "
            "native asynchronous execution needs the PostgreSQL backend with "
            "psycopg 3." % (OPTION, alias, engine)
        )


# The test framework runs each TestCase inside transactions on the test
# thread's connections. While such a connection is lent here (the test thread
# is then blocked, running the test's event loop or waiting for it), native
# calls on the loop use it instead of a pooled connection, so that they see
# the test's data and their writes are rolled back with it.
# alias -> [connection, how many lend() calls it has had, its _TurnLock].
_lent = {}


class _TurnLock:
    """
    A lock that tasks of any event loop take turns with, without blocking
    their loop: the lent connection has one transaction, and a test may run
    native calls on more than one loop (asyncio.run() in a thread, say).
    """

    def __init__(self):
        self._mutex = threading.Lock()
        self._locked = False
        self._waiters = collections.deque()

    async def acquire(self):
        loop = asyncio.get_running_loop()
        with self._mutex:
            if not self._locked:
                self._locked = True
                return
            waiter = (loop, loop.create_future())
            self._waiters.append(waiter)
        try:
            await waiter[1]
        except asyncio.CancelledError:
            with self._mutex:
                try:
                    self._waiters.remove(waiter)
                except ValueError:
                    # Already handed over: pass the turn on.
                    if waiter[1].done() and not waiter[1].cancelled():
                        self._hand_over()
            raise

    def release(self):
        with self._mutex:
            self._hand_over()

    def _hand_over(self):
        # With self._mutex held.
        while self._waiters:
            loop, future = self._waiters.popleft()
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._grant, future)
                return
        self._locked = False

    def _grant(self, future):
        if future.cancelled():
            # Its task gave up after the turn was handed to it.
            self.release()
        else:
            future.set_result(None)


def lend(alias, connection):
    """
    Make native calls on alias use connection (a DatabaseWrapper in an atomic
    block) until the matching reclaim(); calls nest.
    """
    lent = _lent.get(alias)
    if lent is None or lent[0] is not connection:
        lent = _lent[alias] = [connection, 0, _TurnLock()]
    lent[1] += 1


def reclaim(alias):
    lent = _lent.get(alias)
    if lent is not None:
        lent[1] -= 1
        if lent[1] <= 0:
            del _lent[alias]


class _LoopPools:
    """
    The pools opened on one event loop, closed when the loop shuts down, and
    the connections that the loop's tasks hold.
    """

    def __init__(self, loop):
        self.loop = loop
        self.pools = {}
        self.closer = None
        # task -> {alias: NativeDatabaseWrapper}: the connections a task
        # keeps from its first native call on an alias to its end.
        self.held = {}
        # The tasks whose end is watched (one done callback each, however
        # often a long-lived task gives its connections back and takes new).
        self.watched = set()
        # Tasks that give connections back, kept here so that they aren't
        # garbage collected before they finish.
        self.background = set()

    def watch_shutdown(self):
        # An event loop finalizes the asynchronous generators still suspended
        # when it shuts down (asyncio.run(), asgiref's async_to_sync() and
        # servers call loop.shutdown_asyncgens()); this one closes the pools
        # then, while the loop still runs.
        async def closer():
            try:
                yield
            finally:
                if self.loop.is_running():
                    await self.aclose(shutdown=True)

        self.closer = closer()
        try:
            self.closer.asend(None).send(None)
        except StopIteration:  # Suspended at its yield, as intended.
            pass

    def _unregister(self):
        # The loop may have pools that are newer than these by now.
        if _loops.get(self.loop) is self:
            del _loops[self.loop]

    def in_background(self, coro):
        """Run coro in a task of its own that can't be garbage collected."""
        task = self.loop.create_task(coro, context=contextvars.Context())
        self.background.add(task)
        task.add_done_callback(self.background.discard)
        return task

    def hold(self, task):
        """Return the connections that task holds, by alias."""
        held = self.held.get(task)
        if held is None:
            held = self.held[task] = {}
            if task not in self.watched:
                self.watched.add(task)
                task.add_done_callback(self.task_done)
        return held

    def task_done(self, task):
        self.watched.discard(task)
        held = self.held.pop(task, None)
        if held:
            self.in_background(_give_back([held]))

    async def aclose(self, shutdown=False):
        self._unregister()
        held, self.held = self.held, {}
        self.watched = set()
        await _give_back(held.values())
        if not shutdown:
            # This may run in the background itself (close_pools()).
            current = asyncio.current_task()
            while pending := [t for t in self.background if t is not current]:
                await asyncio.gather(*pending, return_exceptions=True)
        pools, self.pools = self.pools, {}
        for pool in pools.values():
            await pool.close(shutdown)

    def close_without_loop(self):
        self._unregister()
        self.held = {}
        self.watched = set()
        pools, self.pools = self.pools, {}
        for pool in pools.values():
            pool.close_without_loop()
        # Finish the watcher here: left to the garbage collector, it would ask
        # the closed loop to finalize it.
        closer, self.closer = self.closer, None
        if closer is not None:
            try:
                closer.aclose().send(None)
            except StopIteration:
                pass


def _give_back(helds):
    """
    Return a coroutine that gives back to their pools the connections of
    helds (dicts of held connections by alias), except those in use: the
    calls using them see at once that they aren't held any more, and give
    them back when they end.
    """
    connections = []
    for held in list(helds):
        connections.extend(held.values())
        held.clear()
    return _release_idle(connections)


async def _release_idle(connections):
    for connection in connections:
        if not connection.native_users:
            await connection.native_pool.release(connection)


_loops = {}


def _loop_pools(loop):
    try:
        return _loops[loop]
    except KeyError:
        _forget_closed_loops()
        pools = _loops[loop] = _LoopPools(loop)
        pools.watch_shutdown()
        return pools


def pool_for(alias, connections):
    """Return the pool of alias for the running event loop, created if needed."""
    pools = _loop_pools(asyncio.get_running_loop())
    try:
        return pools.pools[alias]
    except KeyError:
        pass
    settings_dict = connections.settings[alias]
    connections.ensure_defaults(alias)
    connections.prepare_test_settings(alias)
    pool_kwargs, backend = check_support(settings_dict, alias)
    pool = backend.NativePool(alias, settings_dict, pool_kwargs)
    pools.pools[alias] = pool
    return pool


def _forget_closed_loops():
    for loop_pools in list(_loops.values()):
        if loop_pools.loop.is_closed():
            loop_pools.close_without_loop()


def _running_task():
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


def release_connections():
    """
    Give the running task's native connections back to their pools, in the
    background (close_old_connections() calls this). Return the task that
    does it, or None if there is nothing to give back.
    """
    task = _running_task()
    loop_pools = _loops.get(task.get_loop()) if task is not None else None
    if loop_pools is None:
        return None
    held = loop_pools.held.pop(task, None)
    if not held:
        return None
    return loop_pools.in_background(_give_back([held]))


async def arelease_connections():
    """
    Give the running task's native connections back to their pools.

    A task keeps the connection its first native call on an alias takes until
    it ends; a task that lives long (a websocket consumer, a worker loop) can
    give it back between two units of work with this.
    """
    releasing = release_connections()
    if releasing is not None:
        await releasing


def close_pools():
    """
    Close the pools of native execution (connections.close_all() calls this).

    The pools of loops that no longer run are closed at once; those of a
    running loop are closed on that loop, without waiting (aclose_pools()
    waits). A loop's pools also close when the loop shuts down.
    """
    for loop_pools in list(_loops.values()):
        loop = loop_pools.loop
        if loop.is_closed() or not loop.is_running():
            loop_pools.close_without_loop()
        elif loop is _running_loop():
            loop_pools.in_background(loop_pools.aclose())
        else:
            asyncio.run_coroutine_threadsafe(loop_pools.aclose(), loop)


def _running_loop():
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


async def aclose_pools():
    """
    Close the running event loop's pools of native execution, after giving
    back the connections its tasks hold. The next native call opens new ones.
    """
    loop_pools = _loops.get(asyncio.get_running_loop())
    if loop_pools is not None:
        await loop_pools.aclose()


class CallScope:
    """
    The connections of one native call (or one asynchronous iteration), by
    alias. Entered in the task that runs the call; connections[alias] returns
    them while it is current. Inside ``async with transaction.atomic()``, the
    block's connection (see native_atomic.AtomicLevel, the parent) is used
    instead for the block's alias.

    A call uses the connections that its task holds (task), taking one from
    the pool the first time; a scope without a task (an iteration, which
    keeps a server-side cursor open across the task's other calls) takes
    connections of its own and gives them back when it ends.
    """

    __slots__ = (
        "blocks",
        "connections",
        "detached",
        "handler",
        "held",
        "lent",
        "level_token",
        "parent",
        "task",
        "token",
    )

    def __init__(self, handler, parent=None, task=None, detached=False):
        self.handler = handler
        self.connections = {}
        self.lent = []
        # The atomic blocks whose connection this call holds.
        self.blocks = []
        # The innermost atomic level of the task, if any.
        self.parent = parent
        # Whether the scope also makes parent the task's innermost level while
        # it is current (see native_atomic.after_block()).
        self.detached = detached
        self.level_token = None
        self.task = task
        # The connections of the task that this scope uses.
        self.held = None
        self.token = None

    def __enter__(self):
        self.token = _call.set(self)
        if self.detached:
            self.level_token = native_atomic.set_level(self.parent)
        return self

    def __exit__(self, *exc_info):
        _call.reset(self.token)
        if self.detached:
            native_atomic.reset_level(self.level_token)

    def get(self, alias):
        """Return the scope's connection for alias, or None if it isn't native."""
        try:
            return self.connections[alias]
        except KeyError:
            pass
        if self.parent is not None:
            level = self.parent.block_for(alias)
            if level is not None:
                connection = level.block.take(level, self)
                self.connections[alias] = connection
                if level.block.pending_levels():
                    level.block.enter_pending()
                return connection
        if alias not in native_aliases(self.handler):
            return None
        lent = _lent.get(alias)
        if lent is not None:
            connection = self._borrow(lent[0], lent[2])
        elif self.task is not None:
            connection = self._held(alias)
        else:
            connection = pool_for(alias, self.handler).new_connection()
        self.connections[alias] = connection
        return connection

    def _held(self, alias):
        held = self.held
        if held is None:
            held = self.held = _loop_pools(self.task.get_loop()).hold(self.task)
        connection = held.get(alias)
        if connection is None:
            connection = held[alias] = pool_for(alias, self.handler).new_connection()
        else:
            connection.reuse()
        connection.native_users += 1
        return connection

    def _borrow(self, connection, lock):
        from django.utils.greenlet_bridge import await_only

        # Tasks take turns with a lent connection: it has one transaction.
        await_only(lock.acquire())
        connection.inc_thread_sharing()
        connection.runs_on_event_loop = True
        self.lent.append((connection, lock))
        return connection

    async def release(self):
        """
        Give back the connections the scope took: those its task holds stay
        with the task if they are clean. Safe to await while being cancelled.
        """
        connections, self.connections = self.connections, {}
        lent, self.lent = self.lent, []
        blocks, self.blocks = self.blocks, []
        for block in blocks:
            block.give_back()
            del connections[block.alias]
        for connection, lock in lent:
            del connections[connection.alias]
            del connection.runs_on_event_loop
            connection.dec_thread_sharing()
            lock.release()
        held = self.held
        for alias, connection in connections.items():
            if held is not None and held.get(alias) is connection:
                connection.native_users -= 1
                if connection.native_users or connection.keep():
                    continue
                # A connection left in a transaction, broken, or cut off by a
                # cancellation goes back to the pool, which cleans it.
                del held[alias]
            elif held is not None:
                # Given back already (release_connections()) while in use.
                connection.native_users -= 1
                if connection.native_users:
                    continue
            await connection.native_pool.release(connection)


from django.db import native_atomic  # NOQA isort:skip
