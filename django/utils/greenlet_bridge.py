"""
Run synchronous code on the event loop, letting it await coroutines.

spawn() starts a function in a greenlet of its own, from a coroutine; while it
runs, await_only() lets that synchronous code hand an awaitable to the task
that spawned it and get its result back, as if it had been awaited. The
database layer uses this to run the unchanged synchronous ORM on the event
loop, each round trip to the server being a real ``await`` on an asynchronous
driver, so other tasks run while one waits for its query.

Nothing here knows about databases. greenlet is an optional dependency: only
spawn() and await_only() need it, and in_bridge() is False without it.
"""

import sys
import threading

try:
    import greenlet
except ImportError:  # pragma: no cover
    greenlet = None

__all__ = [
    "BridgeError",
    "await_only",
    "greenlet_available",
    "in_bridge",
    "run_inline",
    "spawn",
]


class BridgeError(RuntimeError):
    """await_only() was called outside code started by spawn()."""


def greenlet_available():
    return greenlet is not None


if greenlet is not None:
    getcurrent = greenlet.getcurrent

    class _BridgeGreenlet(greenlet.greenlet):
        """A worker that runs the functions spawn() is given, one at a time."""

        __slots__ = ("driver",)

    def in_bridge():
        """Return whether the caller runs inside a function started by spawn()."""
        return type(getcurrent()) is _BridgeGreenlet

else:  # pragma: no cover

    def in_bridge():
        return False


class _Outcome:
    """What a worker hands back when a function ends: its result or error."""

    __slots__ = ("error", "value")

    def __init__(self, value=None, error=None):
        self.value = value
        self.error = error


def _work(job):
    # The run() of a worker greenlet: between two jobs it waits, suspended,
    # in the switch that hands back the last one's outcome. Reusing workers
    # matters: a greenlet that finishes frees the chunk of memory that holds
    # its Python frames, and a new one maps and faults in another.
    while True:
        func, args, kwargs = job
        job = None
        try:
            outcome = _Outcome(func(*args, **kwargs))
        except greenlet.GreenletExit:
            # The worker is being thrown away (garbage collected).
            raise
        except BaseException as error:
            outcome = _Outcome(error=error)
        del func, args, kwargs
        job = getcurrent().driver.switch(outcome)


# Idle workers, by thread (a greenlet can only run in its own thread).
_idle = threading.local()
_MAX_IDLE = 64


def _worker(driver):
    try:
        idle = _idle.workers
    except AttributeError:
        idle = _idle.workers = []
    worker = idle.pop() if idle else _BridgeGreenlet(_work, driver)
    worker.driver = driver
    worker.parent = driver
    # Share the task's contextvars, so that code in the greenlet sees (and
    # sets) the same context as the coroutine around it.
    worker.gr_context = driver.gr_context
    return worker


def _park(worker):
    worker.driver = None
    worker.gr_context = None
    idle = _idle.workers
    if len(idle) < _MAX_IDLE:
        idle.append(worker)


class _Resume:
    """
    The rest of a coroutine that await_only() started driving inline and that
    then suspended: awaiting this finishes it in the spawning task.
    """

    __slots__ = ("coro", "pending")

    def __init__(self, coro, pending):
        self.coro = coro
        self.pending = pending

    def __await__(self):
        coro, pending = self.coro, self.pending
        while True:
            try:
                sent = yield pending
            except BaseException as exc:
                try:
                    pending = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    pending = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


def await_only(awaitable):
    """
    Return the result of awaiting awaitable, from synchronous code that
    spawn() runs.

    Most of a driver's coroutines finish without waiting for anything once a
    result is in (fetching rows that have arrived, for example), so the
    coroutine is first run right here; only if it really has to wait does the
    greenlet switch to the task, which awaits the rest.
    """
    current = getcurrent() if greenlet is not None else None
    if type(current) is not _BridgeGreenlet:
        if hasattr(awaitable, "close"):
            awaitable.close()
        raise BridgeError(
            "await_only() can only be called from code run by "
            "django.utils.greenlet_bridge.spawn()."
        )
    if hasattr(awaitable, "send"):
        coro = awaitable
    else:
        coro = awaitable.__await__()
    try:
        pending = coro.send(None)
    except StopIteration as stop:
        return stop.value
    return current.driver.switch(_Resume(coro, pending))


async def spawn(func, /, *args, **kwargs):
    """Run func(*args, **kwargs) in a greenlet and return its result."""
    if greenlet is None:  # pragma: no cover
        raise BridgeError("greenlet must be installed to use spawn().")
    child = _worker(getcurrent())
    result = child.switch((func, args, kwargs))
    while type(result) is not _Outcome:
        try:
            value = await result
        except BaseException:
            exc_info = sys.exc_info()
            _drive_from_here(child)
            result = child.throw(*exc_info)
        else:
            _drive_from_here(child)
            result = child.switch(value)
    _park(child)
    if result.error is not None:
        error, result.error = result.error, None
        raise error
    return result.value


def run_inline(func, /, *args, **kwargs):
    """
    Run func(*args, **kwargs) as spawn() would, from synchronous code, and
    return its result: for code whose awaitables all finish without waiting.
    One that has to wait is refused with BridgeError, raised in func.
    """
    child = _worker(getcurrent())
    result = child.switch((func, args, kwargs))
    if type(result) is not _Outcome:
        result.coro.close()
        result = child.throw(
            BridgeError("run_inline() can't run code that waits for a result.")
        )
    _park(child)
    if result.error is not None:
        error, result.error = result.error, None
        raise error
    return result.value


def _drive_from_here(child):
    # The task usually resumes this coroutine from its own greenlet, the one
    # that spawned child. But a coroutine that sync code awaits (say, an
    # async on_commit() callback calling an a-method) is driven inline by
    # await_only() in that code's greenlet until it first suspends, then
    # finished by the task: child must hand its awaitables, and its result,
    # to whichever greenlet runs this coroutine now.
    current = getcurrent()
    if child.driver is not current:
        child.driver = current
        child.parent = current
