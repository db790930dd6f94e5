import asyncio
import contextvars
from unittest import mock, skipIf

from asgiref.sync import sync_to_async

from django.db import (
    IntegrityError,
    NotSupportedError,
    OperationalError,
    connection,
    connections,
    native,
    transaction,
)
from django.db.models.signals import post_save
from django.db.transaction import TransactionManagementError
from django.test import TestCase, TransactionTestCase, override_settings

from .models import Author, Book, Code
from .tests import activity, backend_pid, native_on, pool_stats, run_native, sleeping


def busy_sessions():
    """The test database's other sessions that aren't idle, as (state, query)."""
    return [(state, query) for _, state, query in activity() if state != "idle"]


async def assert_pool_clean(test):
    """Every pooled connection is back, and none is busy on the server."""
    # The test's own task gives back the connection it keeps between calls.
    await native.arelease_connections()
    # The pool opens the connections it grows by, and those that replace the
    # ones it discarded, in the background.
    for _ in range(50):
        stats = pool_stats()
        if stats["pool_available"] == stats["pool_size"]:
            break
        await asyncio.sleep(0.1)
    test.assertEqual(stats["pool_available"], stats["pool_size"])
    test.assertLessEqual(stats["pool_size"], 8)
    test.assertEqual(await run_native(busy_sessions), [])


@native_on
class AsyncAtomicTests(TransactionTestCase):
    """async with transaction.atomic() behaves as the synchronous block does."""

    available_apps = ["async_native"]
    databases = {"default", "other"}

    async def test_commit(self):
        async with transaction.atomic():
            await Author.objects.acreate(name="Ann")
            await Author.objects.acreate(name="Bob")
        self.assertEqual(await Author.objects.acount(), 2)

    async def test_rollback_on_exception(self):
        with self.assertRaisesMessage(ValueError, "oops"):
            async with transaction.atomic():
                await Author.objects.acreate(name="Ann")
                raise ValueError("oops")
        self.assertEqual(await Author.objects.acount(), 0)

    async def test_one_connection_and_one_transaction(self):
        async with transaction.atomic():
            first = await run_native(backend_pid)
            await Author.objects.acreate(name="Ann")
            self.assertEqual(await run_native(backend_pid), first)
            # Other tasks, on connections of their own, don't see the write.
            self.assertEqual(
                await asyncio.create_task(
                    Author.objects.acount(), context=contextvars.Context()
                ),
                0,
            )
            self.assertTrue(connections["default"].in_atomic_block)
        self.assertFalse(connections["default"].in_atomic_block)

    async def test_nested_blocks_are_savepoints(self):
        async with transaction.atomic():
            await Author.objects.acreate(name="kept")
            try:
                async with transaction.atomic():
                    await Author.objects.acreate(name="dropped")
                    raise ValueError
            except ValueError:
                pass
            async with transaction.atomic():
                await Author.objects.acreate(name="inner")
        names = [a.name async for a in Author.objects.order_by("name")]
        self.assertEqual(names, ["inner", "kept"])

    async def test_nested_without_savepoint_rolls_back_everything(self):
        with self.assertRaises(ValueError):
            async with transaction.atomic():
                await Author.objects.acreate(name="Ann")
                try:
                    async with transaction.atomic(savepoint=False):
                        raise ValueError
                finally:
                    self.assertIs(transaction.get_rollback(), True)
                raise ValueError
        self.assertEqual(await Author.objects.acount(), 0)

    async def test_integrity_error_inside_a_savepoint(self):
        await Code.objects.acreate(code="a")
        async with transaction.atomic():
            with self.assertRaises(IntegrityError):
                async with transaction.atomic():
                    await Code.objects.acreate(code="a")
            await Code.objects.acreate(code="b")
        self.assertEqual(await Code.objects.acount(), 2)

    async def test_durable(self):
        async with transaction.atomic(durable=True):
            await Author.objects.acreate(name="Ann")
        msg = "A durable atomic block cannot be nested within another atomic block."
        with self.assertRaisesMessage(RuntimeError, msg):
            async with transaction.atomic():
                await Author.objects.acreate(name="Bob")
                async with transaction.atomic(durable=True):
                    pass
        self.assertEqual(await Author.objects.acount(), 1)

    async def test_decorator(self):
        @transaction.atomic
        async def create(name, fail=False):
            await Author.objects.acreate(name=name)
            self.assertTrue(connections["default"].in_atomic_block)
            if fail:
                raise ValueError
            return name

        @transaction.atomic(using="other")
        async def create_other(name):
            self.assertFalse(connections["default"].in_atomic_block)
            self.assertTrue(connections["other"].in_atomic_block)
            return await Author.objects.using("other").acreate(name=name)

        self.assertTrue(asyncio.iscoroutinefunction(create))
        self.assertEqual(await create("Ann"), "Ann")
        with self.assertRaises(ValueError):
            await create("Bob", fail=True)
        await create_other("Cy")
        # A decorator serves concurrent calls, each in its own transaction.
        await asyncio.gather(create("Di"), create("Ed"))
        self.assertEqual(await Author.objects.acount(), 3)
        self.assertEqual(await Author.objects.using("other").acount(), 1)

    async def test_blocks_on_two_aliases(self):
        async with transaction.atomic():
            async with transaction.atomic(using="other"):
                await Author.objects.using("other").acreate(name="other")
                await Author.objects.acreate(name="default")
            with self.assertRaises(ValueError):
                async with transaction.atomic(using="other"):
                    await Author.objects.using("other").acreate(name="gone")
                    raise ValueError
        self.assertEqual(await Author.objects.acount(), 1)
        self.assertEqual(await Author.objects.using("other").acount(), 1)

    async def test_set_rollback(self):
        async with transaction.atomic():
            await Author.objects.acreate(name="Ann")
            self.assertIs(transaction.get_rollback(), False)
            transaction.set_rollback(True)
            self.assertIs(transaction.get_rollback(), True)
        self.assertEqual(await Author.objects.acount(), 0)
        msg = "The rollback flag doesn't work outside of an 'atomic' block."
        with self.assertRaisesMessage(TransactionManagementError, msg):
            await sync_to_async(transaction.get_rollback)()

    async def test_mark_for_rollback_on_error(self):
        async with transaction.atomic():
            with self.assertRaises(ValueError):
                with transaction.mark_for_rollback_on_error():
                    await Author.objects.acreate(name="Ann")
                    raise ValueError
            self.assertIs(transaction.get_rollback(), True)
            transaction.set_rollback(False)
        self.assertEqual(await Author.objects.acount(), 1)

    async def test_savepoints(self):
        async with transaction.atomic():
            await Author.objects.acreate(name="kept")
            sid = await transaction.asavepoint()
            self.assertIsNotNone(sid)
            await Author.objects.acreate(name="dropped")
            await transaction.asavepoint_rollback(sid)
            sid = await transaction.asavepoint(using="default")
            await Author.objects.acreate(name="released")
            await transaction.asavepoint_commit(sid)
        names = [a.name async for a in Author.objects.order_by("name")]
        self.assertEqual(names, ["kept", "released"])
        # In autocommit mode there is nothing to save, as in sync code.
        self.assertIsNone(await transaction.asavepoint())

    async def test_select_for_update(self):
        author = await Author.objects.acreate(name="Ann")
        async with transaction.atomic():
            locked = await Author.objects.select_for_update().aget(pk=author.pk)
            locked.name = "Bob"
            await locked.asave(update_fields=["name"])
            rows = [a async for a in Author.objects.select_for_update(nowait=True)]
            self.assertEqual(len(rows), 1)
        self.assertEqual((await Author.objects.aget()).name, "Bob")
        msg = "select_for_update cannot be used outside of a transaction."
        with self.assertRaisesMessage(TransactionManagementError, msg):
            await Author.objects.select_for_update().aget()

    async def test_select_for_update_blocks_other_transactions(self):
        author = await Author.objects.acreate(name="Ann")
        order = []

        async def locker():
            async with transaction.atomic():
                await Author.objects.select_for_update().aget(pk=author.pk)
                order.append("locked")
                await asyncio.sleep(0.3)
                order.append("unlocking")

        async def waiter():
            await asyncio.sleep(0.1)
            async with transaction.atomic():
                await Author.objects.select_for_update().aget(pk=author.pk)
                order.append("waited")

        await asyncio.gather(locker(), waiter())
        self.assertEqual(order, ["locked", "unlocking", "waited"])

    async def test_on_commit(self):
        calls = []

        async def async_callback(name):
            calls.append(name)
            # A coroutine callback may query; it runs after the commit.
            calls.append(await Author.objects.acount())

        async with transaction.atomic():
            await Author.objects.acreate(name="Ann")
            transaction.on_commit(lambda: calls.append("sync 1"))
            transaction.on_commit(lambda: async_callback("async"))
            async with transaction.atomic():
                transaction.on_commit(lambda: calls.append("sync 2"))
            self.assertEqual(calls, [])
        self.assertEqual(calls, ["sync 1", "async", 1, "sync 2"])

    async def test_on_commit_coroutine_function(self):
        calls = []

        async def callback():
            calls.append(await Author.objects.acount())

        async with transaction.atomic():
            await Author.objects.acreate(name="Ann")
            transaction.on_commit(callback)
        self.assertEqual(calls, [1])

    async def test_on_commit_not_after_rollback(self):
        calls = []
        with self.assertRaises(ValueError):
            async with transaction.atomic():
                transaction.on_commit(lambda: calls.append("outer"))
                raise ValueError
        async with transaction.atomic():
            transaction.on_commit(lambda: calls.append("kept"))
            try:
                async with transaction.atomic():
                    transaction.on_commit(lambda: calls.append("savepoint"))
                    raise ValueError
            except ValueError:
                pass
        self.assertEqual(calls, ["kept"])

    async def test_on_commit_coroutine_function_outside_native(self):
        async def callback():
            pass

        msg = "on_commit() accepts a coroutine function only inside"
        with self.assertRaisesMessage(TypeError, msg):
            await sync_to_async(transaction.on_commit)(callback)

    async def test_signal_receivers_run_in_the_transaction(self):
        def receiver(sender, instance, created, **kwargs):
            if created:
                Book.objects.create(author=instance, title="first")

        post_save.connect(receiver, sender=Author)
        self.addCleanup(post_save.disconnect, receiver, sender=Author)
        with self.assertRaises(ValueError):
            async with transaction.atomic():
                await Author.objects.acreate(name="Ann")
                self.assertEqual(await Book.objects.acount(), 1)
                raise ValueError
        self.assertEqual(await Book.objects.acount(), 0)
        async with transaction.atomic():
            await Author.objects.acreate(name="Bob")
        self.assertEqual(await Book.objects.acount(), 1)

    async def test_aiterator_in_a_block(self):
        await Author.objects.abulk_create(Author(name=str(i)) for i in range(5))
        async with transaction.atomic():
            await Author.objects.acreate(name="new")
            names = [a.name async for a in Author.objects.aiterator(chunk_size=2)]
            self.assertEqual(len(names), 6)
        self.assertEqual(await Author.objects.acount(), 6)

    async def test_connection_goes_back_to_the_pool(self):
        async with transaction.atomic():
            await Author.objects.acreate(name="Ann")
            stats = pool_stats()
            self.assertGreaterEqual(stats["pool_size"] - stats["pool_available"], 1)
            # Seen from outside the block (its calls run on its connection).
            outside = contextvars.Context()
            rows = await asyncio.create_task(run_native(busy_sessions), context=outside)
            states = [state for state, _ in rows]
            self.assertEqual(states, ["idle in transaction"])
        await assert_pool_clean(self)


@native_on
class AsyncAtomicTasksTests(TransactionTestCase):
    """
    Tasks created inside a block share its transaction, one call at a time,
    and only while the level they were created in lasts; threads can't use it.
    """

    available_apps = ["async_native"]
    databases = {"default", "other"}

    async def test_gather_inside_a_block(self):
        async with transaction.atomic():
            pid = await run_native(backend_pid)
            authors = await asyncio.gather(
                *(Author.objects.acreate(name=str(i)) for i in range(10))
            )
            # On the block's connection, in its transaction.
            pids = await asyncio.gather(*(run_native(backend_pid) for _ in range(3)))
            self.assertEqual(set(pids), {pid})
            self.assertEqual(
                await asyncio.create_task(
                    Author.objects.acount(), context=contextvars.Context()
                ),
                0,
            )
        self.assertEqual(len({a.pk for a in authors}), 10)
        self.assertEqual(await Author.objects.acount(), 10)

    async def test_gather_then_rollback(self):
        # django-async-backend issue #11: gather inside a block lost writes.
        with self.assertRaises(ValueError):
            async with transaction.atomic():
                await Author.objects.acreate(name="Ann")
                await asyncio.gather(
                    *(Author.objects.acreate(name=str(i)) for i in range(10))
                )
                self.assertEqual(await Author.objects.acount(), 11)
                raise ValueError
        self.assertEqual(await Author.objects.acount(), 0)

    async def test_failing_child_rolls_the_block_back(self):
        await Code.objects.acreate(code="taken")
        with self.assertRaises(IntegrityError):
            async with transaction.atomic():
                await asyncio.gather(
                    Author.objects.acreate(name="Ann"),
                    Code.objects.acreate(code="taken"),
                    Author.objects.acreate(name="Bob"),
                )
        self.assertEqual(await Author.objects.acount(), 0)
        self.assertEqual(await Code.objects.acount(), 1)

    async def test_wait_for_and_shield_inside_a_block(self):
        # Both run the awaitable in a task of its own on Python 3.11.
        async with transaction.atomic():
            await asyncio.wait_for(Author.objects.acreate(name="Ann"), 5)
            await asyncio.shield(Author.objects.acreate(name="Bob"))
            self.assertEqual(await Author.objects.acount(), 2)
            transaction.set_rollback(True)
        self.assertEqual(await Author.objects.acount(), 0)

    async def test_slow_sibling_after_the_block(self):
        # django-async-backend issue #77: a task started in a block that was
        # then rolled back committed its write afterwards.
        started = asyncio.Event()

        async def slow_sibling():
            started.set()
            await asyncio.sleep(0.2)
            await Author.objects.acreate(name="late")

        with self.assertRaises(ValueError):
            async with transaction.atomic():
                sibling = asyncio.create_task(slow_sibling())
                await started.wait()
                await Author.objects.acreate(name="Ann")
                raise ValueError
        msg = "that block has ended"
        with self.assertRaisesMessage(TransactionManagementError, msg):
            await sibling
        self.assertEqual(await Author.objects.acount(), 0)

    async def test_sibling_after_a_commit(self):
        release = asyncio.Event()

        async def sibling():
            await release.wait()
            await Author.objects.acreate(name="after")

        async with transaction.atomic():
            task = asyncio.create_task(sibling())
            await Author.objects.acreate(name="Ann")
        release.set()
        with self.assertRaisesMessage(TransactionManagementError, "has ended"):
            await task
        names = [a.name async for a in Author.objects.all()]
        self.assertEqual(names, ["Ann"])

    async def test_sibling_while_the_owner_is_in_a_nested_block(self):
        release = asyncio.Event()

        async def sibling():
            await release.wait()
            await Author.objects.acreate(name="sibling")

        async with transaction.atomic():
            task = asyncio.create_task(sibling())
            with self.assertRaises(ValueError):
                async with transaction.atomic():
                    await Author.objects.acreate(name="savepoint")
                    release.set()
                    msg = "in a nested atomic block that the task isn't part of"
                    with self.assertRaisesMessage(TransactionManagementError, msg):
                        await task
                    raise ValueError
            await Author.objects.acreate(name="Ann")
        names = [a.name async for a in Author.objects.all()]
        self.assertEqual(names, ["Ann"])

    async def test_child_of_a_nested_block(self):
        async with transaction.atomic():
            with self.assertRaises(ValueError):
                async with transaction.atomic():
                    await asyncio.gather(
                        Author.objects.acreate(name="a"),
                        Author.objects.acreate(name="b"),
                    )
                    raise ValueError
            await asyncio.gather(Author.objects.acreate(name="kept"))
        names = [a.name async for a in Author.objects.all()]
        self.assertEqual(names, ["kept"])

    async def test_child_task_opening_a_block(self):
        async def child():
            async with transaction.atomic():
                await Author.objects.acreate(name="child")

        msg = "An atomic block on database 'default' can't be opened here"
        async with transaction.atomic():
            with self.assertRaisesMessage(TransactionManagementError, msg):
                await asyncio.create_task(child())
        self.assertEqual(await Author.objects.acount(), 0)

    async def test_child_task_on_another_alias(self):
        async def child():
            async with transaction.atomic(using="other"):
                await Author.objects.using("other").acreate(name="other")

        async with transaction.atomic():
            # The block is on default only.
            await asyncio.create_task(child())
            transaction.set_rollback(True)
        self.assertEqual(await Author.objects.using("other").acount(), 1)

    async def test_sync_to_async_inside_a_block(self):
        def write():
            Author.objects.create(name="thread")

        msg = (
            "Database 'default' is in an 'async with transaction.atomic()' block: "
            "synchronous code run from that block (with sync_to_async(), for "
            "example) can't use the block's connection"
        )
        with self.assertRaisesMessage(TransactionManagementError, msg):
            async with transaction.atomic():
                await Author.objects.acreate(name="Ann")
                await sync_to_async(write)()
        self.assertEqual(await Author.objects.acount(), 0)

    async def test_sync_to_async_other_alias_inside_a_block(self):
        def count():
            return Author.objects.using("other").count()

        async with transaction.atomic():
            self.assertEqual(await sync_to_async(count)(), 0)

    async def test_task_started_outside_the_block(self):
        # A task that doesn't inherit the block is a separate unit of work.
        release = asyncio.Event()

        async def independent():
            await release.wait()
            return await Author.objects.acount()

        task = asyncio.create_task(independent())
        async with transaction.atomic():
            await Author.objects.acreate(name="Ann")
            release.set()
            self.assertEqual(await task, 0)

    async def test_on_commit_callback_gathering(self):
        results = []

        async def callback():
            # After the commit, the block has ended: tasks created here run
            # on connections of their own.
            results.extend(
                await asyncio.gather(Author.objects.acount(), Author.objects.acount())
            )

        async with transaction.atomic():
            await Author.objects.acreate(name="Ann")
            transaction.on_commit(callback)
        self.assertEqual(results, [1, 1])


@native_on
class AsyncAtomicFaultTests(TransactionTestCase):
    """Cancelled, timed out and broken blocks leave a clean pool."""

    available_apps = ["async_native"]
    databases = {"default", "other"}

    async def assertPoolClean(self):
        await assert_pool_clean(self)

    async def test_cancel_inside_a_block(self):
        await Author.objects.acreate(name="Ann")

        async def block():
            async with transaction.atomic():
                await Author.objects.acreate(name="lost")
                async with transaction.atomic():
                    await sleeping(Author.objects.all(), 30).acount()

        task = asyncio.create_task(block())
        for _ in range(100):
            await asyncio.sleep(0.05)
            if any("pg_sleep" in query for _, query in await run_native(busy_sessions)):
                break
        else:
            self.fail("The query didn't start.")
        task.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await task
        self.assertEqual(await Author.objects.acount(), 1)
        await self.assertPoolClean()

    async def test_timeout_inside_a_durable_block(self):
        with self.assertRaises(TimeoutError):
            async with asyncio.timeout(0.3):
                async with transaction.atomic(durable=True):
                    await Author.objects.acreate(name="lost")
                    await sleeping(Author.objects.all(), 30).acount()
        self.assertEqual(await Author.objects.acount(), 0)
        await self.assertPoolClean()

    async def test_many_cancelled_calls_and_blocks(self):
        await Author.objects.acreate(name="Ann")

        async def block(i):
            async with transaction.atomic():
                author = await Author.objects.select_for_update().aget()
                author.name = "Ann %d" % i
                await author.asave(update_fields=["name"])
                await asyncio.sleep(0.01)
                await Author.objects.acreate(name="lost")

        for round in range(10):
            tasks = [asyncio.create_task(Author.objects.aget()) for _ in range(200)]
            tasks += [asyncio.create_task(block(i)) for i in range(20)]
            await asyncio.sleep(0.002 * round)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.assertPoolClean()
        # Every block either committed whole or not at all.
        self.assertEqual(await Author.objects.filter(name="lost").acount(), 0)
        self.assertTrue((await Author.objects.aget()).name.startswith("Ann"))

    async def test_exhausted_pool(self):
        options = connections["default"].settings_dict["OPTIONS"]
        small = {"async_pool": {"min_size": 1, "max_size": 1, "timeout": 0.3}}
        with mock.patch.dict(options, small):
            await native.aclose_pools()
            release = asyncio.Event()

            async def hold():
                async with transaction.atomic():
                    await Author.objects.acreate(name="Ann")
                    await release.wait()

            holder = asyncio.create_task(hold())
            await asyncio.sleep(0.1)
            msg = (
                "couldn't get a connection after 0.30 sec from the async pool of "
                "database 'default': all of its connections are in use (max_size=1)."
            )
            with self.assertRaisesMessage(OperationalError, msg):
                async with transaction.atomic():
                    await Author.objects.acreate(name="Bob")
            release.set()
            await holder
            self.assertEqual(await Author.objects.acount(), 1)
            await native.aclose_pools()

    async def test_broken_connections_are_discarded(self):
        # As after a server restart: every pooled connection is cut off.
        await asyncio.gather(
            *(sleeping(Author.objects.all(), 0.1).acount() for _ in range(3))
        )

        def terminate():
            with connections["default"].cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND backend_type = 'client backend'"
                )

        await sync_to_async(terminate)()
        await asyncio.sleep(0.1)
        for _ in range(5):
            self.assertEqual(await Author.objects.acount(), 0)
        async with transaction.atomic():
            await Author.objects.acreate(name="Ann")
        self.assertEqual(await Author.objects.acount(), 1)


@native_on
class AsyncAtomicTestCaseTests(TestCase):
    """Inside TestCase, blocks are savepoints in the test's transaction."""

    @classmethod
    def setUpTestData(cls):
        cls.author = Author.objects.create(name="Ann")

    async def test_block_sees_test_data(self):
        async with transaction.atomic():
            self.assertEqual(await Author.objects.aget(), self.author)
            await Author.objects.acreate(name="Bob")
        with self.assertRaises(ValueError):
            async with transaction.atomic():
                await Author.objects.acreate(name="Cy")
                raise ValueError
        self.assertEqual(await Author.objects.acount(), 2)

    async def test_blocks_take_turns(self):
        async def block(name):
            async with transaction.atomic():
                await Author.objects.acreate(name=name)
                await asyncio.sleep(0.05)
                return await Author.objects.acount()

        counts = await asyncio.gather(block("Bob"), block("Cy"))
        self.assertEqual(sorted(counts), [2, 3])


@skipIf(native.enabled(connection.settings_dict), "Native execution is on.")
class AsyncAtomicNotSupportedTests(TransactionTestCase):
    available_apps = ["async_native"]

    async def test_not_supported(self):
        msg = (
            "'async with transaction.atomic()' needs native asynchronous "
            "execution on database 'default': set OPTIONS['async_pool']"
        )
        with self.assertRaisesMessage(NotSupportedError, msg):
            async with transaction.atomic():
                await Author.objects.acreate(name="Ann")

        @transaction.atomic
        async def create(name):
            await Author.objects.acreate(name=name)

        with self.assertRaisesMessage(NotSupportedError, msg):
            await create("Bob")
        self.assertEqual(await Author.objects.acount(), 0)

    def test_sync_atomic_still_works(self):
        with transaction.atomic():
            Author.objects.create(name="Ann")
        self.assertEqual(Author.objects.count(), 1)


@native_on
class AsyncAtomicMixedTests(TransactionTestCase):
    available_apps = ["async_native"]
    databases = {"default", "other"}

    async def test_alias_without_native_execution(self):
        with mock.patch(
            "django.db.async_bridge.native_aliases",
            return_value=frozenset({"default"}),
        ):
            msg = "execution on database 'other': set OPTIONS['async_pool']"
            with self.assertRaisesMessage(NotSupportedError, msg):
                async with transaction.atomic(using="other"):
                    pass


@native_on
@override_settings(ROOT_URLCONF="async_native.urls")
class AsyncRequestTests(TransactionTestCase):
    """Under ASGI, a request's native connections go back when it ends."""

    available_apps = ["async_native"]

    async def assertPoolIdle(self):
        await assert_pool_clean(self)

    async def test_connections_go_back_after_the_request(self):
        response = await self.async_client.get("/create/", {"name": "Ann"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"False "))
        await self.assertPoolIdle()
        response = await self.async_client.get("/create-in-block/", {"name": "Bob"})
        self.assertEqual(response.content, b"True")
        response = await self.async_client.get(
            "/create-in-block/", {"name": "Cy", "fail": "1"}
        )
        await self.assertPoolIdle()
        names = [a.name async for a in Author.objects.order_by("name")]
        self.assertEqual(names, ["Ann", "Bob"])

    async def test_atomic_requests(self):
        settings_dict = connections["default"].settings_dict
        with mock.patch.dict(settings_dict, {"ATOMIC_REQUESTS": True}):
            response = await self.async_client.get("/create/", {"name": "Ann"})
            self.assertTrue(response.content.startswith(b"True "))
            self.async_client.raise_request_exception = False
            response = await self.async_client.get("/fail/")
            self.assertEqual(response.status_code, 500)
        await self.assertPoolIdle()
        names = [a.name async for a in Author.objects.all()]
        self.assertEqual(names, ["Ann"])


@skipIf(native.enabled(connection.settings_dict), "Native execution is on.")
@override_settings(ROOT_URLCONF="async_native.urls")
class AtomicRequestsWithoutNativeTests(TransactionTestCase):
    available_apps = ["async_native"]

    def test_refused(self):
        settings_dict = connections["default"].settings_dict
        msg = "You cannot use ATOMIC_REQUESTS with async views."
        with mock.patch.dict(settings_dict, {"ATOMIC_REQUESTS": True}):
            with self.assertRaisesMessage(RuntimeError, msg):
                self.client.get("/create/", {"name": "Ann"})
