"""
Native asynchronous execution for PostgreSQL, on psycopg 3.

With OPTIONS["async_pool"], the async ORM runs the synchronous ORM code in a
greenlet on the event loop (see django.db.native). The DatabaseWrapper it uses
there is the backend's own, with its driver connection replaced by a
synchronous facade over one of psycopg's AsyncConnections: each call the ORM
makes on it (execute, fetch, commit, ...) awaits the asynchronous method
through django.utils.greenlet_bridge.await_only(), so the event loop runs
other tasks while a query waits for the server.

The AsyncConnections come from a psycopg_pool.AsyncConnectionPool per alias
and event loop, set up by the same functions that set up the backend's
synchronous connections.
"""

import asyncio
import contextvars
import inspect
import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.signals import connection_created
from django.db.native import OPTION, _loop_pools
from django.db.native_atomic import after_block
from django.db.pool_options import DEFAULT_POOL_NAME, check_pool_arguments
from django.utils.greenlet_bridge import await_only, spawn

from .psycopg_any import is_psycopg3

if not is_psycopg3:
    raise ImproperlyConfigured(
        "OPTIONS['%s'] needs psycopg 3 (the psycopg package); the PostgreSQL "
        "backend is using psycopg2." % OPTION
    )

try:
    import psycopg_pool
except ImportError as e:
    raise ImproperlyConfigured(
        "OPTIONS['%s'] needs the psycopg_pool package (%s); install Django with "
        "the async-pool extra." % (OPTION, e)
    )

from psycopg import AsyncClientCursor, AsyncConnection, AsyncServerCursor  # NOQA
from psycopg.client_cursor import ClientCursorMixin  # NOQA
from psycopg.pq import TransactionStatus  # NOQA

from .base import (  # NOQA isort:skip
    ConnectionSetup,
    DatabaseWrapper,
    LiveTimeZone,
    _cut_off,
)
from .psycopg_any import CursorMixin  # NOQA isort:skip

IDLE = TransactionStatus.IDLE

DEFAULT_MIN_SIZE = (
    inspect.signature(psycopg_pool.AsyncConnectionPool).parameters["min_size"].default
)


class AsyncConnectionPool(psycopg_pool.AsyncConnectionPool):
    """
    psycopg_pool's pool, changed so that a server it can't reach, or that
    refuses its connections, makes calls fail at once with the server's error
    instead of waiting for the pool's timeout:

    - When an attempt to open a connection fails while the pool has none
      open (none idle and none in use), the calls waiting for one get the
      attempt's error: nothing else could come to them.
    - A failed attempt isn't retried in the background: the next call that
      finds no connection makes the pool try again (the pool grows on demand
      as usual), so a server that comes back is used at once, and one that
      doesn't answers each call with its error.

    It also counts the connections in use, and remembers the last failed
    attempt's error until an attempt succeeds.

    Finally, the pool's background tasks (its scheduler and workers) stop
    once they are cancelled, as asyncio.run(), asyncio.Runner.close(),
    asgiref's async_to_sync() and pytest-asyncio cancel every task at loop
    shutdown, before the pool closes; the shutdown waits for those tasks, for
    ever if one goes on waiting. psycopg_pool's tasks survive the errors of
    the jobs they run, cancellation included, and Python 3.11's
    asyncio.wait_for() (where the scheduler waits) returns the wait's result
    instead of raising when a wake-up and the cancellation come together.
    Their waits here raise while a cancellation of their task is pending
    (Task.cancelling()), and the scheduler's wait doesn't use wait_for().

    This class is the only code that uses psycopg_pool's private attributes
    (_start_workers(), _connect(), _add_connection(), _lock, _pool, _waiting,
    _closed, _tasks, _sched._event) and psycopg's (AsyncConnection._closed);
    setup.cfg bounds the psycopg-pool versions they were checked against.
    """

    in_use = 0
    connect_error = None

    async def getconn(self, timeout=None):
        aconnection = await super().getconn(timeout)
        self.in_use += 1
        return aconnection

    async def putconn(self, aconnection):
        self.in_use -= 1
        await super().putconn(aconnection)

    def _start_workers(self):
        # Nothing uses these two yet: the pool has just created them.
        self._tasks = _StoppableQueue()
        self._sched._event = _StoppableEvent()
        super()._start_workers()

    async def _connect(self, *args, **kwargs):
        try:
            aconnection = await super()._connect(*args, **kwargs)
        except Exception as error:
            self.connect_error = error
            raise
        self.connect_error = None
        return aconnection

    async def _add_connection(self, attempt, growing=False):
        # The pool has counted the attempt off (and let a later call grow it
        # again) by the time this returns.
        await super()._add_connection(attempt or _SINGLE_ATTEMPT, growing=growing)
        error = self.connect_error
        if error is None or self._closed:
            return
        async with self._lock:
            if self.in_use or self._pool:
                return
            waiting = list(self._waiting)
            self._waiting.clear()
        for client in waiting:
            await client.fail(error)

    def idle_connections(self):
        """Return the connections waiting in the pool."""
        return list(self._pool)

    def close_without_loop(self, taken=()):
        """
        Close the pool's connections, and those in taken, once its event loop
        is gone: nothing can be awaited any more.
        """
        self._closed = True
        connections = [*self._pool, *taken]
        self._pool.clear()
        for aconnection in connections:
            aconnection.pgconn.finish()
            aconnection._closed = True


def _stop_if_cancelled():
    """
    Raise CancelledError if the running task's cancellation is pending: it
    was requested but the code that saw it went on.
    """
    if asyncio.current_task().cancelling():
        raise asyncio.CancelledError


class _StoppableQueue(asyncio.Queue):
    """The queue of a pool's jobs, where its workers wait."""

    async def get(self):
        _stop_if_cancelled()
        return await super().get()


class _StoppableEvent(asyncio.Event):
    """The event that wakes a pool's scheduler up, where it waits."""

    async def wait_timeout(self, timeout):
        _stop_if_cancelled()
        try:
            async with asyncio.timeout(timeout):
                await self.wait()
        except TimeoutError:
            return False
        return True


class _SingleAttempt:
    """What the pool asks of a connection attempt's retry policy: no retry."""

    delay = 0.0

    def time_to_give_up(self, now):
        return True

    def update_delay(self, now):
        pass


_SINGLE_ATTEMPT = _SingleAttempt()


def _hide_noise(record):
    if not isinstance(record.msg, str) or not record.args:
        return True
    # The pool logs the cancellation above as a failed connection attempt.
    if record.msg.startswith("error connecting"):
        return not isinstance(record.args[-1], asyncio.CancelledError)
    # After each "error connecting" record, a pool that doesn't retry
    # (reconnect_timeout=0, as NativePool's) says it gave up.
    if record.msg.startswith("reconnection attempt"):
        return record.args[-1] != 0
    return True


logging.getLogger("psycopg.pool").addFilter(_hide_noise)


class AsyncCursor(AsyncClientCursor):
    """Binds parameters on the client, as the synchronous Cursor does."""


class AsyncServerSideCursor(ClientCursorMixin, AsyncServerCursor):
    """A named cursor for iterator() and aiterator(), binding on the client."""


def _forward(name):
    """A read-only property that returns the wrapped object's attribute."""
    return property(
        lambda self: getattr(self._wrapped, name),
        doc="The %s of the wrapped psycopg object." % name,
    )


class BridgedCursor(CursorMixin):
    """
    A synchronous cursor over a psycopg AsyncCursor (in the bridge only).

    Each method and attribute of psycopg's cursors that Django uses is
    wrapped here; there is no passthrough of the others, which would hand
    out the AsyncCursor's coroutines un-awaited.
    """

    def __init__(self, cursor):
        self.cursor = self._wrapped = cursor

    adapters = _forward("adapters")
    arraysize = _forward("arraysize")
    closed = _forward("closed")
    description = _forward("description")
    name = _forward("name")
    pgresult = _forward("pgresult")
    rowcount = _forward("rowcount")
    rownumber = _forward("rownumber")
    statusmessage = _forward("statusmessage")

    @property
    def connection(self):
        return self._wrapped.connection

    @property
    def itersize(self):
        return getattr(self._wrapped, "itersize", 100)

    @itersize.setter
    def itersize(self, value):
        self._wrapped.itersize = value

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __iter__(self):
        fetchmany = self.fetchmany
        size = self.itersize
        while rows := fetchmany(size):
            yield from rows

    def execute(self, query, params=None):
        await_only(self.cursor.execute(query, params))
        return self

    def executemany(self, query, params_seq):
        await_only(self.cursor.executemany(query, params_seq))

    def fetchone(self):
        return await_only(self.cursor.fetchone())

    def fetchmany(self, size=0):
        return await_only(self.cursor.fetchmany(size))

    def fetchall(self):
        return await_only(self.cursor.fetchall())

    def scroll(self, value, mode="relative"):
        await_only(self.cursor.scroll(value, mode))

    def close(self):
        await_only(self.cursor.close())


class BridgedConnection:
    """
    A synchronous connection over a psycopg AsyncConnection, with what the
    backend and the connection setup functions use of psycopg's Connection.
    """

    def __init__(self, aconnection):
        self.aconnection = self._wrapped = aconnection

    adapters = _forward("adapters")
    broken = _forward("broken")
    closed = _forward("closed")
    info = _forward("info")
    pgconn = _forward("pgconn")

    @property
    def connection(self):
        # What psycopg's adaptation (sql.quote(), TypeInfo.register()) reads
        # from a context: the connection whose adapters and encoding apply.
        return self.aconnection

    def cursor(self, name=None, *, scrollable=None, withhold=False):
        if name:
            cursor = AsyncServerSideCursor(
                self.aconnection, name, scrollable=scrollable, withhold=withhold
            )
        else:
            cursor = self.aconnection.cursor()
        return BridgedCursor(cursor)

    def execute(self, query, params=None):
        return self.cursor().execute(query, params)

    @property
    def autocommit(self):
        return self.aconnection.autocommit

    @autocommit.setter
    def autocommit(self, value):
        if self.aconnection.autocommit != value:
            await_only(self.aconnection.set_autocommit(value))

    @property
    def isolation_level(self):
        return self.aconnection.isolation_level

    @isolation_level.setter
    def isolation_level(self, value):
        await_only(self.aconnection.set_isolation_level(value))

    def commit(self):
        await_only(self.aconnection.commit())

    def rollback(self):
        await_only(self.aconnection.rollback())

    def close(self):
        await_only(self.aconnection.close())


class NativeDatabaseWrapper(LiveTimeZone, DatabaseWrapper):
    """
    The backend's DatabaseWrapper for one native call at a time: its
    connection is taken from the pool when needed and given back by release().
    """

    # django.utils.asyncio.async_unsafe() lets the bridge use this wrapper on
    # the event loop.
    runs_on_event_loop = True
    # Its connections come from the NativePool, never from the synchronous
    # pool of OPTIONS["pool"].
    pool = None

    def __init__(self, settings_dict, alias, native_pool):
        super().__init__(settings_dict, alias)
        self.native_pool = native_pool
        # How many native calls (scopes) of its task are using it.
        self.native_users = 0
        # The settings that the session was set up for (see reuse()).
        self.settings_seen = None

    def get_connection_params(self):
        # The pool has them.
        return {}

    def connect(self):
        """
        Take a connection from the pool. The pool set it up when it opened it
        (and sent connection_created then), so only what can differ between
        two calls is checked here.
        """
        self.check_settings()
        self.in_atomic_block = False
        self.savepoint_ids = []
        self.needs_rollback = False
        # The pool decides when connections are closed, not CONN_MAX_AGE.
        self.close_at = None
        self.closed_in_transaction = False
        self.errors_occurred = False
        self.connection = self.get_new_connection({})
        # Pooled connections are in autocommit mode, Django's default.
        self.autocommit = True
        if not self.settings_dict["AUTOCOMMIT"]:
            self.set_autocommit(False)
        self.init_connection_state()
        self.run_on_commit = []
        self.settings_seen = _time_zone_settings(self.settings_dict)

    def reuse(self):
        """
        Prepare the connection that a task kept for its next call: nothing
        but the time zone settings (which tests override) can have changed.
        """
        if self.connection is not None:
            seen = _time_zone_settings(self.settings_dict)
            if seen != self.settings_seen:
                self.check_settings()
                self.init_connection_state()
                self.settings_seen = seen

    def keep(self):
        """
        Return whether the connection may stay with its task once a call
        ends: it must be idle, out of any transaction, in autocommit mode.
        """
        connection = self.connection
        if connection is None:
            return True
        aconnection = connection.aconnection
        if (
            aconnection.closed
            or aconnection.info.transaction_status != IDLE
            or not aconnection.autocommit
            or self.in_atomic_block
            or self.needs_rollback
            or self.closed_in_transaction
        ):
            return False
        # Errors that left it usable don't make it obsolete.
        self.errors_occurred = False
        return True

    def get_new_connection(self, conn_params):
        aconnection = await_only(self.native_pool.getconn())
        connection = BridgedConnection(aconnection)
        self.isolation_level = self.native_pool.isolation_level
        return connection

    def init_connection_state(self):
        # The pool's configure() did the rest; the time zone may have changed
        # since (tests override it), and costs no round trip when it hasn't.
        if self.ensure_timezone() and not self.get_autocommit():
            self.connection.commit()

    def _close(self):
        connection = self.connection
        if connection is not None:
            await_only(self.native_pool.putconn(connection.aconnection))

    # on_commit() callbacks may be coroutine functions here: the bridge awaits
    # what they return.

    def on_commit(self, func):
        if self.in_atomic_block or not callable(func):
            super().on_commit(func)
        else:
            # Called at once (or refused, outside autocommit).
            super().on_commit(lambda: _await_result(func()))

    def run_and_clear_commit_hooks(self):
        self.validate_no_atomic_block()
        hooks, self.run_on_commit = self.run_on_commit, []
        scope = after_block(self)
        if scope is None:
            for _, func in hooks:
                _await_result(func())
            return
        try:
            with scope:
                for _, func in hooks:
                    _await_result(func())
        finally:
            await_only(scope.release())


def _time_zone_settings(settings_dict):
    return (settings.USE_TZ, settings.TIME_ZONE, settings_dict["TIME_ZONE"])


def _await_result(result):
    if inspect.isawaitable(result):
        await_only(result)


class NativePool:
    """An alias's AsyncConnectionPool on one event loop, and its wrappers."""

    def __init__(self, alias, settings_dict, pool_kwargs):
        self.alias = alias
        self.settings_dict = settings_dict
        # Validate the settings and build the driver's arguments as the
        # synchronous backend does.
        probe = NativeDatabaseWrapper(settings_dict, alias, self)
        kwargs = DatabaseWrapper.get_connection_params(probe)
        kwargs.pop("cursor_factory", None)
        kwargs["cursor_factory"] = AsyncCursor
        kwargs["autocommit"] = True
        self.setup = ConnectionSetup(settings_dict)
        self.isolation_level = self.setup.isolation_level
        # Checked by check_option() already, unless made by hand (tests).
        pool_kwargs = check_pool_arguments(pool_kwargs, alias, OPTION)
        if "reconnect_timeout" in pool_kwargs:
            raise ImproperlyConfigured(
                "OPTIONS['%s'] of database '%s' can't set 'reconnect_timeout': "
                "the pool doesn't retry a failed connection attempt in the "
                "background; the next call that needs a connection tries again."
                % (OPTION, alias)
            )
        pool_kwargs.setdefault("name", DEFAULT_POOL_NAME % alias)
        if "max_size" in pool_kwargs and "min_size" not in pool_kwargs:
            # psycopg_pool's default min_size, or less if max_size is smaller.
            pool_kwargs["min_size"] = min(DEFAULT_MIN_SIZE, pool_kwargs["max_size"])
        try:
            self.pool = AsyncConnectionPool(
                "",
                kwargs=kwargs,
                connection_class=AsyncConnection,
                configure=self._configure,
                open=False,
                reconnect_timeout=0,
                **pool_kwargs,
            )
        except (TypeError, ValueError) as e:
            raise ImproperlyConfigured(
                "Invalid OPTIONS['%s'] of database '%s': %s." % (OPTION, alias, e)
            )
        self._opening = None
        self._free = []
        # The connections taken from the pool and not given back yet: those
        # of tasks that a loop's shutdown cancelled are closed with the pool.
        self._out = set()

    def __repr__(self):
        return "<NativePool %r %r>" % (self.alias, self.pool)

    async def _configure(self, aconnection):
        try:
            await spawn(self._setup, aconnection)
        except BaseException:
            # The pool drops a connection whose setup failed, or was
            # cancelled when the pool closed, without closing it.
            await aconnection.close()
            raise

    def _setup(self, aconnection):
        connection = BridgedConnection(aconnection)
        self.setup.configure(connection)
        if self.isolation_level is None:
            self.isolation_level = aconnection.isolation_level
        # What the backend's connect() does after opening a connection.
        wrapper = NativeDatabaseWrapper(self.settings_dict, self.alias, self)
        wrapper.connection = connection
        wrapper.autocommit = True
        try:
            connection_created.send(sender=DatabaseWrapper, connection=wrapper)
        finally:
            wrapper.connection = None

    def new_connection(self):
        """A DatabaseWrapper for one call, without a driver connection yet."""
        if self._free:
            return self._free.pop()
        return NativeDatabaseWrapper(self.settings_dict, self.alias, self)

    async def getconn(self):
        opening = self._opening
        if opening is None or (
            opening.done() and (opening.cancelled() or opening.exception())
        ):
            # The pool's workers are tasks: start them in a context of their
            # own rather than in the calling task's, and finish opening even
            # if the first caller is cancelled. An attempt that failed is
            # made again by the next call.
            opening = self._opening = asyncio.get_running_loop().create_task(
                self.pool.open(), context=contextvars.Context()
            )
        if opening.done():
            opening.result()
        else:
            await asyncio.shield(opening)
        while True:
            try:
                aconnection = await self.pool.getconn()
            except psycopg_pool.PoolTimeout:
                raise self._timeout_error() from self.pool.connect_error
            if not _cut_off(aconnection):
                self._out.add(aconnection)
                return aconnection
            # Its server went away (a restart, pg_terminate_backend(), an
            # idle timeout): the pool replaces it.
            await aconnection.close()
            await self.pool.putconn(aconnection)

    def _timeout_error(self):
        """What a call that waited for the pool's whole timeout raises."""
        pool = self.pool
        message = (
            "couldn't get a connection after %.2f sec from the async pool of "
            "database '%s'" % (pool.timeout, self.alias)
        )
        if pool.in_use >= pool.max_size:
            message += ": all of its connections are in use (max_size=%d)." % (
                pool.max_size
            )
        elif pool.connect_error is not None:
            message += ", which can't open one: %s" % pool.connect_error
        else:
            message += (
                ", which has %d of its connections in use (max_size=%d) and "
                "didn't open another in time." % (pool.in_use, pool.max_size)
            )
        return psycopg_pool.PoolTimeout(message)

    async def putconn(self, aconnection):
        self._out.discard(aconnection)
        await self.pool.putconn(aconnection)

    async def release(self, wrapper):
        """Give the wrapper's connection back to the pool, clean."""
        connection = wrapper.connection
        wrapper.connection = None
        wrapper.closed_in_transaction = False
        wrapper.run_on_commit = []
        wrapper.in_atomic_block = False
        wrapper.savepoint_ids = []
        wrapper.atomic_blocks = []
        wrapper.needs_rollback = False
        wrapper.native_users = 0
        self._free.append(wrapper)
        if connection is None:
            return
        aconnection = connection.aconnection
        try:
            if not aconnection.closed:
                if aconnection.info.transaction_status != IDLE:
                    await aconnection.rollback()
                if not aconnection.autocommit:
                    await aconnection.set_autocommit(True)
        except Exception:
            # A broken connection: the pool discards it.
            pass
        except BaseException:
            # Interrupted while cleaning up: don't wait any longer, but don't
            # lose the connection either.
            _loop_pools(asyncio.get_running_loop()).in_background(
                self._discard(aconnection)
            )
            raise
        await self.putconn(aconnection)

    async def _discard(self, aconnection):
        await aconnection.close()
        await self.putconn(aconnection)

    async def close(self, shutdown=False):
        """
        Close the pool. At the loop's shutdown, also close the connections
        that weren't given back: their tasks were cancelled; otherwise, those
        in use close when their calls give them back.
        """
        self._free = []
        if self._opening is None:
            return
        idle = self.pool.idle_connections()
        try:
            await self.pool.close()
        except asyncio.CancelledError:
            # At loop shutdown, asyncio.run() cancels every task, the pool's
            # workers included, before it finalizes asynchronous generators
            # (where this runs); stopping them then fails. Close the
            # connections that were waiting in the pool anyway.
            for aconnection in idle:
                await aconnection.close()
        if shutdown:
            out, self._out = self._out, set()
            for aconnection in out:
                await aconnection.close()

    def close_without_loop(self):
        """Close the pool's connections once its event loop is gone."""
        self._free = []
        if self._opening is None:
            return
        taken, self._out = self._out, set()
        self.pool.close_without_loop(taken)
