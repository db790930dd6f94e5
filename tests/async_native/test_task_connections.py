"""
A task keeps the connection its first native call takes, until it ends, until
close_old_connections() or arelease_connections() in it, or until the pools
close; tasks never share one outside of an atomic block.
"""

import asyncio
import gc
import threading
from unittest import mock

from asgiref.sync import sync_to_async

from django.db import (
    close_old_connections,
    connection,
    connections,
    native,
    transaction,
)
from django.test import SimpleTestCase, TestCase, TransactionTestCase

from .models import Author
from .test_transactions import busy_sessions
from .tests import backend_pid, behind_pgbouncer, native_on, run_native, sleeping


def in_use(using="default"):
    """How many connections of the running loop's pool are out of it."""
    return native.pool_for(using, connections).pool.in_use


async def settle(condition):
    """Wait a little for what a task that just ended gives back."""
    for _ in range(100):
        if condition():
            return True
        await asyncio.sleep(0.01)
    return False


@native_on
class TaskConnectionTests(TransactionTestCase):
    available_apps = ["async_native"]
    databases = {"default", "other"}

    def setUp(self):
        Author.objects.create(name="Ann")

    async def test_calls_of_a_task_reuse_its_connection(self):
        pool = native.pool_for("default", connections)
        with mock.patch.object(pool, "getconn", wraps=pool.getconn) as getconn:
            pids = {(await run_native(backend_pid))[0] for _ in range(5)}
            await Author.objects.aget()
            await Author.objects.acount()
        self.assertEqual(len(pids), 1)
        self.assertEqual(getconn.call_count, 1)
        self.assertEqual(in_use(), 1)

    async def test_reuse_skips_the_setup(self):
        await Author.objects.aget()
        from django.db.backends.postgresql.native import NativeDatabaseWrapper

        with mock.patch.object(
            NativeDatabaseWrapper, "init_connection_state"
        ) as init, mock.patch.object(NativeDatabaseWrapper, "check_settings") as check:
            await Author.objects.aget()
            await Author.objects.acount()
        init.assert_not_called()
        check.assert_not_called()

    async def test_given_back_when_the_task_ends(self):
        async def child():
            return await run_native(backend_pid)

        await asyncio.create_task(child())
        self.assertTrue(await settle(lambda: in_use() == 0))

    async def test_siblings_never_share(self):
        if behind_pgbouncer():
            self.skipTest("Behind PgBouncer, a backend pid isn't a connection.")
        # The parent holds a connection before it starts the children, which
        # inherit a copy of its context.
        parent = (await run_native(backend_pid))[0]
        qs = sleeping(Author.objects.all(), 0.2).values_list("pid", "nap")
        rows = await asyncio.gather(qs.aget(), qs.aget(), qs.aget())
        children = [pid for pid, _ in rows]
        self.assertEqual(len(set(children)), 3)
        self.assertNotIn(parent, children)
        # A child created with create_task() too.
        child = await asyncio.create_task(run_native(backend_pid))
        self.assertNotEqual(child[0], parent)
        self.assertEqual((await run_native(backend_pid))[0], parent)

    async def test_close_old_connections_gives_them_back(self):
        await Author.objects.aget()
        await Author.objects.using("other").acount()
        self.assertEqual(in_use(), 1)
        self.assertEqual(in_use("other"), 1)
        # As at the end of an ASGI request, in the request's task.
        close_old_connections()
        self.assertTrue(await settle(lambda: in_use() == in_use("other") == 0))
        self.assertEqual(await run_native(busy_sessions), [])

    async def test_arelease_connections(self):
        await run_native(backend_pid)
        await native.arelease_connections()
        self.assertEqual(in_use(), 0)
        # Nothing to give back: a no-op.
        await native.arelease_connections()
        # The next call takes one again.
        self.assertIsInstance((await run_native(backend_pid))[0], int)
        self.assertEqual(in_use(), 1)

    async def test_long_lived_task(self):
        # A task that gives its connection back after each unit of work
        # watches for its end once, not once per unit.
        task = asyncio.current_task()
        for _ in range(5):
            await Author.objects.acount()
            self.assertEqual(in_use(), 1)
            await native.arelease_connections()
            self.assertEqual(in_use(), 0)
        loop_pools = native._loop_pools(asyncio.get_running_loop())
        callbacks = [
            callback
            for callback, _ in getattr(task, "_callbacks", None) or ()
            if getattr(callback, "__self__", None) is loop_pools
        ]
        self.assertLessEqual(len(callbacks), 1)

    async def test_release_while_a_call_uses_it(self):
        # A connection in use goes back only once the call using it ends.
        def release_midway():
            first = backend_pid()[0]
            native.release_connections()
            return first, backend_pid()[0], in_use()

        first, second, during = await run_native(release_midway)
        self.assertEqual((first, during), (second, 1))
        self.assertTrue(await settle(lambda: in_use() == 0))

    async def test_cancelled_mid_call(self):
        await Author.objects.aget()
        with self.assertRaises(TimeoutError):
            async with asyncio.timeout(0.2):
                await sleeping(Author.objects.all(), 30).acount()
        # psycopg cancelled the query: the task keeps its connection only if
        # that left it idle, out of any transaction; otherwise it went back
        # to the pool, which cleans it.
        self.assertTrue(await settle(lambda: in_use() <= 1))
        self.assertEqual(await run_native(busy_sessions), [])

        def status():
            return connections["default"].connection.info.transaction_status

        from psycopg.pq import TransactionStatus

        self.assertEqual(await run_native(status), TransactionStatus.IDLE)
        self.assertEqual(await Author.objects.acount(), 1)
        self.assertEqual(in_use(), 1)

    async def test_left_in_a_transaction(self):
        # A call that leaves its connection in a transaction gives it back to
        # the pool, rolled back; the task doesn't keep it.
        def open_transaction():
            conn = connections["default"]
            conn.set_autocommit(False)
            Author.objects.create(name="lost")

        await run_native(open_transaction)
        self.assertEqual(in_use(), 0)
        self.assertEqual(await Author.objects.acount(), 1)

    async def test_atomic_block_uses_the_task_connection(self):
        pid = (await run_native(backend_pid))[0]
        async with transaction.atomic():
            self.assertEqual((await run_native(backend_pid))[0], pid)
            await Author.objects.acreate(name="Bob")
        self.assertEqual(in_use(), 1)
        self.assertEqual(await Author.objects.acount(), 2)

    async def test_close_all_from_the_loop(self):
        await Author.objects.aget()
        pool = native.pool_for("default", connections)
        # On the loop: closes the loop's own pools too (in the background).
        connections.close_all()
        self.assertTrue(await settle(lambda: pool.pool.closed))
        self.assertIsNot(native.pool_for("default", connections), pool)
        self.assertEqual(await Author.objects.acount(), 1)

    async def test_aclose_pools(self):
        def driver_connection():
            connections["default"].ensure_connection()
            return connections["default"].connection.aconnection

        held = await run_native(driver_connection)
        pool = native.pool_for("default", connections)
        await native.aclose_pools()
        self.assertIs(pool.pool.closed, True)
        # The connection the task held is closed too.
        self.assertIs(held.closed, True)
        # Nothing to close.
        await native.aclose_pools()
        self.assertEqual(await Author.objects.acount(), 1)


@native_on
class NativePoolDefectTests(TransactionTestCase):
    available_apps = ["async_native"]

    async def test_failed_open_is_tried_again(self):
        await native.aclose_pools()
        pool = native.pool_for("default", connections)

        async def failing():
            raise OSError("no workers")

        attempts = [failing(), pool.pool.open()]
        with mock.patch.object(pool.pool, "open", lambda: attempts.pop(0)):
            with self.assertRaisesMessage(OSError, "no workers"):
                await Author.objects.acount()
            self.assertEqual(await Author.objects.acount(), 0)

    async def test_interrupted_release_keeps_its_discard_task(self):
        def open_transaction():
            connections["default"].set_autocommit(False)
            Author.objects.count()

        from psycopg import AsyncConnection

        with mock.patch.object(
            AsyncConnection, "rollback", side_effect=asyncio.CancelledError
        ):
            with self.assertRaises(asyncio.CancelledError):
                await run_native(open_transaction)
        loop_pools = native._loop_pools(asyncio.get_running_loop())
        discards = [
            task
            for task in loop_pools.background
            if task.get_coro().__qualname__ == "NativePool._discard"
        ]
        self.assertEqual(len(discards), 1)
        gc.collect()
        await discards[0]
        self.assertTrue(await settle(lambda: in_use() == 0))
        self.assertEqual(await run_native(busy_sessions), [])

    def test_after_block_without_a_scope(self):
        from django.db.native_atomic import after_block

        self.assertIsNone(after_block(connection))

    async def test_aliases_follow_options_changed_in_place(self):
        self.assertIn("other", native.native_aliases(connections))
        options = connections.settings["other"]["OPTIONS"]
        with mock.patch.dict(options):
            del options["async_pool"]
            self.assertNotIn("other", native.native_aliases(connections))
            self.assertIs(native.is_native("other"), False)
        self.assertIn("other", native.native_aliases(connections))

    async def test_savepoints_with_some_aliases_native(self):
        options = connections.settings["other"]["OPTIONS"]
        with mock.patch.dict(options):
            del options["async_pool"]
            async with transaction.atomic():
                await Author.objects.acreate(name="kept")
                sid = await transaction.asavepoint()
                await Author.objects.acreate(name="lost")
                await transaction.asavepoint_rollback(sid)
                sid = await transaction.asavepoint()
                await Author.objects.acreate(name="also kept")
                await transaction.asavepoint_commit(sid)
        names = [a.name async for a in Author.objects.order_by("pk")]
        self.assertEqual(names, ["kept", "also kept"])


@native_on
class BridgedAttributeTests(TransactionTestCase):
    available_apps = ["async_native"]

    async def test_no_passthrough(self):
        def attributes():
            conn = connections["default"]
            conn.ensure_connection()
            bridged = conn.connection
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1")
                description = cursor.cursor.description
                rowcount = cursor.cursor.rowcount
                for name in ("stream", "copy", "nextset"):
                    self.assertFalse(hasattr(cursor.cursor, name), name)
            for name in ("notifies", "cancel_safe", "transaction", "xid"):
                self.assertFalse(hasattr(bridged, name), name)
            return description[0].name, rowcount, bridged.info.backend_pid

        name, rowcount, pid = await run_native(attributes)
        self.assertEqual((name, rowcount), ("?column?", 1))
        self.assertIsInstance(pid, int)


@native_on
class LentConnectionTests(TestCase):
    async def test_loops_take_turns(self):
        # A second loop (in a thread, as asyncio.run() or async_to_sync()
        # makes one) waits until the first loop's call on the lent
        # connection has ended.
        events = []
        started = threading.Event()

        def hold():
            from django.utils.greenlet_bridge import await_only

            Author.objects.count()
            events.append("hold")
            started.set()
            await_only(asyncio.sleep(0.3))
            events.append("release")

        def other_loop():
            started.wait(5)

            async def count():
                return await Author.objects.acount()

            result = asyncio.run(count())
            events.append("other")
            return result

        thread_result = []
        thread = threading.Thread(target=lambda: thread_result.append(other_loop()))
        thread.start()
        await run_native(hold)
        await asyncio.get_running_loop().run_in_executor(None, thread.join)
        self.assertEqual(events, ["hold", "release", "other"])
        self.assertEqual(thread_result, [0])


class IsNativeTests(SimpleTestCase):
    databases = {"default", "other"}

    def test_sync_code(self):
        self.assertIs(native.is_native(), False)

    @native_on
    async def test_coroutine(self):
        self.assertIs(native.is_native(), True)
        self.assertIs(native.is_native("default"), True)
        self.assertIs(native.is_native("other"), True)
        self.assertIs(await sync_to_async(native.is_native)(), False)

    async def test_alias_without_the_option(self):
        options = {**connections.settings["other"]["OPTIONS"]}
        options.pop("async_pool", None)
        with mock.patch.dict(connections.settings["other"], {"OPTIONS": options}):
            self.assertIs(native.is_native("other"), False)

    async def test_backend_that_cant(self):
        settings_dict = {
            "ENGINE": "django.db.backends.sqlite3",
            "OPTIONS": {"async_pool": True},
        }
        with mock.patch.dict(connections.settings, {"other": settings_dict}):
            self.assertIs(native.is_native("other"), False)

    async def test_unknown_alias(self):
        self.assertIs(native.is_native("nowhere"), False)


@native_on
class DeferredEntryTests(TransactionTestCase):
    """
    The outermost block on a connection its task holds enters with its first
    query: a transaction costs one native call per statement, COMMIT included.
    """

    available_apps = ["async_native"]

    def count_calls(self):
        from django.db import async_bridge

        return mock.patch.object(async_bridge, "spawn", wraps=async_bridge.spawn)

    async def test_one_call_per_statement(self):
        await Author.objects.acount()
        with self.count_calls() as spawn:
            async with transaction.atomic():
                author = await Author.objects.acreate(name="Ann")
                await Author.objects.filter(pk=author.pk).aupdate(name="Bob")
        # INSERT, UPDATE, COMMIT.
        self.assertEqual(spawn.call_count, 3)
        self.assertEqual((await Author.objects.aget()).name, "Bob")

    async def test_rollback(self):
        await Author.objects.acount()
        with self.assertRaisesMessage(ValueError, "oops"):
            async with transaction.atomic():
                await Author.objects.acreate(name="lost")
                raise ValueError("oops")
        self.assertEqual(await Author.objects.acount(), 0)
        self.assertEqual(in_use(), 1)

    async def test_empty_block(self):
        await Author.objects.acount()
        with self.count_calls() as spawn:
            async with transaction.atomic():
                pass
        spawn.assert_not_called()
        self.assertEqual(await run_native(busy_sessions), [])

    async def test_state_seen_before_the_first_query(self):
        await Author.objects.acount()
        committed = []
        async with transaction.atomic():
            self.assertIs(connections["default"].in_atomic_block, True)
            transaction.on_commit(lambda: committed.append(True))
            await Author.objects.acreate(name="Ann")
        self.assertEqual(committed, [True])
        async with transaction.atomic():
            # As in synchronous code, a block marked for rollback refuses
            # queries.
            transaction.set_rollback(True)
            with self.assertRaises(transaction.TransactionManagementError):
                await Author.objects.acreate(name="lost")
        self.assertEqual(await Author.objects.acount(), 1)

    async def test_nested_block(self):
        await Author.objects.acount()
        async with transaction.atomic():
            async with transaction.atomic():
                await Author.objects.acreate(name="lost")
                transaction.set_rollback(True)
            await Author.objects.acreate(name="Ann")
        names = [a.name async for a in Author.objects.all()]
        self.assertEqual(names, ["Ann"])

    async def test_durable(self):
        await Author.objects.acount()
        async with transaction.atomic(durable=True):
            await Author.objects.acreate(name="Ann")
        msg = "A durable atomic block cannot be nested within another atomic block."
        async with transaction.atomic():
            with self.assertRaisesMessage(RuntimeError, msg):
                async with transaction.atomic(durable=True):
                    pass
        self.assertEqual(await Author.objects.acount(), 1)

    async def test_child_task_runs_the_entry(self):
        await Author.objects.acount()
        async with transaction.atomic():
            await asyncio.create_task(Author.objects.acreate(name="Ann"))
            transaction.set_rollback(True)
        self.assertEqual(await Author.objects.acount(), 0)
