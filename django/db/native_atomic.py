"""
Asynchronous transactions on native execution: ``async with atomic()``.

The outermost ``async with transaction.atomic(using=alias)`` of a task pins a
connection (an AtomicConnection: the one the task holds, see django.db.native)
to the block; each level of nesting is an AtomicLevel, the innermost of which
is a context variable of the task, beside the CallScope of the native call
that runs (django.db.native). The synchronous Atomic runs on that connection,
so nesting, savepoints and on_commit() behave as in synchronous code.
"""

import asyncio
import contextvars

from django.db.native import CallScope, _lent, _loops

__all__ = ["AtomicConnection", "AtomicLevel", "after_block", "current_level"]

# The innermost atomic level of this task, if any.
_level = contextvars.ContextVar("django_native_atomic_level", default=None)


def current_level():
    return _level.get()


def set_level(level):
    return _level.set(level)


def reset_level(token):
    _level.reset(token)


class AtomicConnection:
    """
    The connection that ``async with transaction.atomic(using=alias)`` holds
    from the outermost block on alias to its end, for the task that opened it
    (the owner) and the tasks created inside it; nested blocks of the owner
    share it as savepoints. Each level of nesting is an AtomicLevel.

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
        self.owner = asyncio.current_task()
        # What holds the connection: a CallScope of the block's own, which
        # uses the owner's (or borrows the one a TestCase lends).
        self.calls = CallScope(handler, task=self.owner)
        self.ended = False
        self.holder = None
        self.holds = 0
        self.levels = []
        self.lock = asyncio.Lock()

    def __repr__(self):
        return "<AtomicConnection %r of %r>" % (self.alias, self.owner)

    def connection(self):
        return self.calls.get(self.alias)

    def pending_levels(self):
        return any(level.pending is not None for level in self.levels)

    def enter_pending(self):
        """Run the deferred __enter__() of the block's levels (in the bridge)."""
        for level in self.levels:
            atomic, level.pending = level.pending, None
            if atomic is not None:
                atomic.__enter__()

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


class AtomicLevel:
    """
    One level of an AtomicConnection: what ``async with transaction.atomic()`` makes
    current in its task for the length of the block.
    """

    __slots__ = ("block", "closing", "parent", "pending", "token")

    def __init__(self, block, parent):
        self.block = block
        self.closing = False
        # The transaction.Atomic whose __enter__() waits for the block's first
        # use of its connection (see defer_entry()).
        self.pending = None
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
        connection = level.block.connection()
        if level.block.pending_levels():
            # Code that reads or changes the block's state (set_rollback(),
            # on_commit(), in_atomic_block) must find it entered. Entering it
            # costs no round trip (see defer_entry()), so no wait either.
            from django.utils.greenlet_bridge import run_inline

            run_inline(level.block.enter_pending)
        return connection

    def defer_entry(self, atomic):
        """
        Leave atomic.__enter__() to the block's first use of its connection,
        if it needs no round trip to the server: the outermost level of a
        block, on a connection its task already holds, opens the transaction
        by turning autocommit off, and the driver sends BEGIN with the first
        query. The entry then costs no native call of its own. Return whether
        it was deferred.
        """
        block = self.block
        if len(block.levels) != 1 or block.alias in _lent:
            return False
        loop_pools = _loops.get(block.owner.get_loop())
        held = loop_pools.held.get(block.owner) if loop_pools is not None else None
        connection = held.get(block.alias) if held else None
        if connection is None or connection.connection is None:
            return False
        self.pending = atomic
        return True

    @staticmethod
    def current():
        """Return the innermost level of the running task's context, or None."""
        return _level.get()

    @classmethod
    def enter(cls, handler, alias):
        """
        Make a new level current for ``async with atomic(using=alias)``: of
        the task's block on alias, or of a new block.
        """
        current = cls.current()
        outer = current.block_for(alias) if current is not None else None
        if outer is None:
            block = AtomicConnection(handler, alias)
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
        level.token = _level.set(level)
        return level

    async def exit(self):
        """Leave the level; the outermost gives the connection back."""
        block = self.block
        block.levels.remove(self)
        _level.reset(self.token)
        if not block.levels:
            block.ended = True
            await block.calls.release()


def after_block(connection):
    """
    A scope for the on_commit() callbacks of connection, if it is a block's:
    they run after its outermost block has committed, as code that follows
    the block does, so tasks they start aren't taken for the block's own.
    """
    level = _level.get()
    while level is not None:
        if level.block.calls.connections.get(level.block.alias) is connection:
            return CallScope(level.block.calls.handler, level.parent, detached=True)
        level = level.parent
    return None
