"""
Native asynchronous execution: task-local connections from per-loop pools.

A database alias whose OPTIONS set "async_pool" runs the async ORM natively:
django.db.models.async_bridge runs the synchronous ORM code in a greenlet on
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
import contextvars
import weakref
from importlib import import_module

from django.core.exceptions import ImproperlyConfigured
from django.utils.greenlet_bridge import greenlet_available

__all__ = [
    "Block",
    "NativeScope",
    "TransactionScope",
    "close_pools",
    "current_scope",
    "lend",
    "native_aliases",
    "pool_for",
    "reclaim",
]

OPTION = "async_pool"

# The scope of the native call running in this task, if any.
_scope = contextvars.ContextVar("django_native_scope", default=None)


def current_scope():
    return _scope.get()


# (the DATABASES dict, the aliases with native execution), recomputed when
# the settings object changes.
_aliases_cache = (None, frozenset())


def native_aliases(connections):
    """The aliases of DATABASES whose OPTIONS turn native execution on."""
    global _aliases_cache
    databases = connections.settings
    cached_for, aliases = _aliases_cache
    if cached_for is not databases:
        aliases = frozenset(
            alias
            for alias, settings_dict in databases.items()
            if enabled(settings_dict)
        )
        _aliases_cache = (databases, aliases)
    return aliases


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
    value = settings_dict["OPTIONS"].get(OPTION)
    if value is True:
        return {}
    if isinstance(value, dict):
        return check_sizes(dict(value), alias)
    raise ImproperlyConfigured(
        "OPTIONS['%s'] of database '%s' must be True or a dict of keyword "
        "arguments for the connection pool, not %r." % (OPTION, alias, value)
    )


def check_sizes(pool_kwargs, alias):
    """
    Refuse pool sizes that no pool can have: min_size must be an integer of
    at least 0, max_size one of at least 1 and not below min_size. A
    max_size of None (or none) means min_size, as in psycopg_pool. Return
    pool_kwargs, without a max_size of None.
    """
    if pool_kwargs.get("max_size", 0) is None:
        del pool_kwargs["max_size"]
    for name, least in (("min_size", 0), ("max_size", 1)):
        if name not in pool_kwargs:
            continue
        size = pool_kwargs[name]
        if not isinstance(size, int) or isinstance(size, bool) or size < least:
            raise ImproperlyConfigured(
                "OPTIONS['%s']['%s'] of database '%s' must be an integer of at "
                "least %d, not %r." % (OPTION, name, alias, least, size)
            )
    min_size = pool_kwargs.get("min_size")
    max_size = pool_kwargs.get("max_size")
    if max_size is None:
        if min_size == 0:
            raise ImproperlyConfigured(
                "OPTIONS['%s'] of database '%s' sets 'min_size' to 0: it also "
                "needs a 'max_size' of at least 1 (max_size defaults to "
                "min_size)." % (OPTION, alias)
            )
    elif min_size is not None and min_size > max_size:
        raise ImproperlyConfigured(
            "OPTIONS['%s'] of database '%s' sets 'min_size' (%d) above "
            "'max_size' (%d)." % (OPTION, alias, min_size, max_size)
        )
    return pool_kwargs


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
# alias -> [connection, how many lend() calls it has had].
_lent = {}
_lent_locks = weakref.WeakKeyDictionary()


def lend(alias, connection):
    """
    Make native calls on alias use connection (a DatabaseWrapper in an atomic
    block) until the matching reclaim(); calls nest.
    """
    lent = _lent.get(alias)
    if lent is None or lent[0] is not connection:
        lent = _lent[alias] = [connection, 0]
    lent[1] += 1


def reclaim(alias):
    lent = _lent.get(alias)
    if lent is not None:
        lent[1] -= 1
        if lent[1] <= 0:
            del _lent[alias]


class _LoopPools:
    """The pools opened on one event loop, closed when the loop shuts down."""

    def __init__(self, loop):
        self.loop = loop
        self.pools = {}
        self.closer = None

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
                    await self.aclose()

        self.closer = closer()
        try:
            self.closer.asend(None).send(None)
        except StopIteration:  # Suspended at its yield, as intended.
            pass

    def _unregister(self):
        # The loop may have pools that are newer than these by now.
        if _loops.get(self.loop) is self:
            del _loops[self.loop]

    async def aclose(self):
        self._unregister()
        pools, self.pools = self.pools, {}
        for pool in pools.values():
            await pool.close()

    def close_without_loop(self):
        self._unregister()
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


_loops = {}


def pool_for(alias, connections):
    """The pool of alias for the running event loop, created if needed."""
    loop = asyncio.get_running_loop()
    try:
        pools = _loops[loop]
    except KeyError:
        _forget_closed_loops()
        pools = _loops[loop] = _LoopPools(loop)
        pools.watch_shutdown()
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


def close_pools():
    """
    Close the pools of native execution (connections.close_all() calls this).

    The pools of loops that no longer run are closed at once; those of a loop
    running in another thread are closed on that loop, without waiting. A
    loop's pools also close when the loop shuts down.
    """
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    for loop_pools in list(_loops.values()):
        loop = loop_pools.loop
        if loop.is_closed() or not loop.is_running():
            loop_pools.close_without_loop()
        elif loop is not running:
            asyncio.run_coroutine_threadsafe(loop_pools.aclose(), loop)


class NativeScope:
    """
    The connections of one native call (or one asynchronous iteration), by
    alias. Entered in the task that runs the call; connections[alias] returns
    them while it is current. Inside ``async with transaction.atomic()``, the
    block's connection (see TransactionScope, the parent) is used instead for
    the block's alias.
    """

    __slots__ = ("blocks", "connections", "handler", "lent", "parent", "token")

    def __init__(self, handler, parent=None):
        self.handler = handler
        self.connections = {}
        self.lent = []
        # The atomic blocks whose connection this call holds.
        self.blocks = []
        # The innermost atomic block of the task, if any: calls made in a call
        # (an async on_commit() callback, say) see the same blocks.
        if parent is not None and not isinstance(parent, TransactionScope):
            parent = parent.parent
        self.parent = parent
        self.token = None

    def __enter__(self):
        self.token = _scope.set(self)
        return self

    def __exit__(self, *exc_info):
        _scope.reset(self.token)

    def get(self, alias):
        """The scope's connection for alias, or None if alias isn't native."""
        try:
            return self.connections[alias]
        except KeyError:
            pass
        if self.parent is not None:
            level = self.parent.block_for(alias)
            if level is not None:
                connection = level.block.take(level, self)
                self.connections[alias] = connection
                return connection
        if alias not in native_aliases(self.handler):
            return None
        lent = _lent.get(alias)
        if lent is not None:
            connection = self._borrow(alias, lent[0])
        else:
            connection = pool_for(alias, self.handler).new_connection()
        self.connections[alias] = connection
        return connection

    def _borrow(self, alias, connection):
        from django.utils.greenlet_bridge import await_only

        # Tasks take turns with a lent connection: it has one transaction.
        lock = _lent_locks.get(connection)
        loop = asyncio.get_running_loop()
        if lock is None or lock[0] is not loop:
            lock = _lent_locks[connection] = (loop, asyncio.Lock())
        await_only(lock[1].acquire())
        connection.inc_thread_sharing()
        connection.runs_on_event_loop = True
        self.lent.append((connection, lock[1]))
        return connection

    async def release(self):
        """Give every connection back; safe to await while being cancelled."""
        connections, self.connections = self.connections, {}
        lent, self.lent = self.lent, []
        blocks, self.blocks = self.blocks, []
        for block in blocks:
            block.give_back()
            del connections[block.alias]
        for connection, lock in lent:
            del connection.runs_on_event_loop
            connection.dec_thread_sharing()
            lock.release()
        for connection in connections.values():
            if not any(connection is borrowed for borrowed, _ in lent):
                await connection.native_pool.release(connection)


class Block:
    """
    The connection that ``async with transaction.atomic(using=alias)`` holds
    from the outermost block on alias to its end, for the task that opened it
    (the owner) and the tasks created inside it; nested blocks of the owner
    share it as savepoints. Each level of nesting is a TransactionScope.

    A connection runs one query at a time: native calls on it take turns (a
    task-reentrant lock, held for a whole call, so that the statements of two
    calls never interleave). A task created inside the block may use it only
    at the level it was created in, while that level is the innermost and
    hasn't begun to end: its writes then always belong to the transaction it
    was started in, never to a savepoint it doesn't know of, nor to what
    comes after the block. Otherwise, and in threads (sync_to_async() code),
    the alias raises TransactionManagementError.
    """

    __slots__ = (
        "alias",
        "calls",
        "ended",
        "holder",
        "holds",
        "levels",
        "lock",
        "owner",
    )

    def __init__(self, handler, alias):
        self.alias = alias
        # What holds the connection: a NativeScope of the block's own, which
        # takes it from the pool (or borrows the one a TestCase lends).
        self.calls = NativeScope(handler)
        self.ended = False
        self.holder = None
        self.holds = 0
        self.levels = []
        self.lock = asyncio.Lock()
        self.owner = asyncio.current_task()

    def __repr__(self):
        return "<Block %r of %r>" % (self.alias, self.owner)

    def connection(self):
        return self.calls.get(self.alias)

    def take(self, level, scope):
        """The connection, for the native call of scope (in the bridge)."""
        from django.utils.greenlet_bridge import await_only

        task = asyncio.current_task()
        if task is not self.holder:
            # Refuse before waiting: the holder may be the owner ending the
            # level, running on_commit() callbacks that wait for this task.
            level.check_usable(task)
            await_only(self.lock.acquire())
            self.holder = task
        self.holds += 1
        scope.blocks.append(self)
        try:
            level.check_usable(task)
            return self.connection()
        except BaseException:
            scope.blocks.remove(self)
            self.give_back()
            raise

    def give_back(self):
        self.holds -= 1
        if not self.holds:
            self.holder = None
            self.lock.release()


class TransactionScope:
    """
    One level of a Block: what ``async with transaction.atomic()`` makes
    current in its task for the length of the block.
    """

    __slots__ = ("block", "closing", "parent", "token")

    def __init__(self, block, parent):
        self.block = block
        self.closing = False
        # The scope that was current when the level was entered: the outer
        # level, or a block on another alias.
        self.parent = parent
        self.token = None

    def block_for(self, alias):
        """The innermost level of a block on alias in this context, or None."""
        level = self
        while level is not None:
            if level.block.alias == alias:
                return level
            level = level.parent
        return None

    def check_usable(self, task):
        """Raise unless task may use the block's connection at this level."""
        block = self.block
        if task is block.owner and not block.ended:
            return
        from django.db.transaction import TransactionManagementError

        # A thread (without an event loop, or with one of its own).
        if task is None or task.get_loop() is not block.owner.get_loop():
            raise TransactionManagementError(
                "Database '%s' is in an 'async with transaction.atomic()' block: "
                "synchronous code run from that block (with sync_to_async(), for "
                "example) can't use the block's connection, which belongs to the "
                "event loop. Use the ORM's async methods inside the block, or "
                "open the atomic block in the synchronous code." % block.alias
            )
        if block.ended or self.closing:
            raise TransactionManagementError(
                "Database '%s' can't be used by this task: it was started "
                "inside an 'async with transaction.atomic()' block of another "
                "task, and that block has ended. Await the task inside the "
                "block, or start it outside of the block." % block.alias
            )
        if block.levels[-1] is not self:
            raise TransactionManagementError(
                "Database '%s' can't be used by this task while the task that "
                "started it is in a nested atomic block that the task isn't "
                "part of." % block.alias
            )

    def get(self, alias):
        # connections[alias] while the level is current, outside of a native
        # call: in the block's async code, or in a thread that sync_to_async()
        # gave a copy of the task's context.
        level = self.block_for(alias)
        if level is None:
            return None
        try:
            task = asyncio.current_task()
        except RuntimeError:
            task = None
        level.check_usable(task)
        return level.block.connection()

    @staticmethod
    def current():
        """The innermost level of the running task's context, or None."""
        current = _scope.get()
        if current is not None and not isinstance(current, TransactionScope):
            current = current.parent
        return current

    @classmethod
    def enter(cls, handler, alias):
        """
        Make a new level current for ``async with atomic(using=alias)``: of
        the task's block on alias, or of a new block.
        """
        current = cls.current()
        outer = current.block_for(alias) if current is not None else None
        if outer is None:
            block = Block(handler, alias)
        else:
            block = outer.block
            if asyncio.current_task() is not block.owner:
                from django.db.transaction import TransactionManagementError

                raise TransactionManagementError(
                    "An atomic block on database '%s' can't be opened here: this "
                    "task was started inside an 'async with "
                    "transaction.atomic()' block of another task on that "
                    "database. Open it in the task that owns the block, or start "
                    "this task outside of the block." % alias
                )
        level = cls(block, current)
        block.levels.append(level)
        level.token = _scope.set(level)
        return level

    async def exit(self):
        """Leave the level; the outermost gives the connection back."""
        block = self.block
        block.levels.remove(self)
        _scope.reset(self.token)
        if not block.levels:
            block.ended = True
            await block.calls.release()


def after_block(connection):
    """
    A scope for the on_commit() callbacks of connection, if it is a block's:
    they run after its outermost block has committed, as code that follows
    the block does, so tasks they start aren't taken for the block's own.
    """
    scope = _scope.get()
    level = scope if isinstance(scope, TransactionScope) else scope.parent
    while level is not None:
        if level.block.calls.connections.get(level.block.alias) is connection:
            return NativeScope(level.block.calls.handler, level.parent)
        level = level.parent
    return None
