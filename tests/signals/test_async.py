import asyncio
import gc
import threading

from django.dispatch import Signal
from django.test import SimpleTestCase, TestCase

from .models import Author


class Sender:
    pass


def sync_receiver(sender, **kwargs):
    return ("sync", threading.get_ident(), kwargs)


async def async_receiver(sender, **kwargs):
    await asyncio.sleep(0)
    return ("async", threading.get_ident(), kwargs)


def failing_sync_receiver(sender, **kwargs):
    raise ValueError("sync receiver failed")


async def failing_async_receiver(sender, **kwargs):
    await asyncio.sleep(0)
    raise ValueError("async receiver failed")


class AsyncReceiverTests(SimpleTestCase):
    def setUp(self):
        self.signal = Signal()

    def connect(self, *receivers, signal=None, **kwargs):
        signal = signal or self.signal
        for receiver in receivers:
            signal.connect(receiver, **kwargs)
            self.addCleanup(signal.disconnect, receiver, **kwargs)

    async def test_asend_no_receivers(self):
        self.assertEqual(await self.signal.asend(sender=Sender), [])
        self.assertEqual(await self.signal.asend_robust(sender=Sender), [])

    async def test_asend_sync_receivers_in_a_thread(self):
        self.connect(sync_receiver)
        [(receiver, (kind, thread, kwargs))] = await self.signal.asend(
            sender=Sender, extra=1
        )
        self.assertIs(receiver, sync_receiver)
        self.assertEqual(kind, "sync")
        self.assertEqual(kwargs, {"signal": self.signal, "extra": 1})
        # The sync receiver didn't block the event loop's thread.
        self.assertNotEqual(thread, threading.get_ident())

    async def test_asend_async_receivers_on_the_loop(self):
        self.connect(async_receiver)
        [(receiver, (kind, thread, kwargs))] = await self.signal.asend(
            sender=Sender, extra=2
        )
        self.assertIs(receiver, async_receiver)
        self.assertEqual(kind, "async")
        self.assertEqual(thread, threading.get_ident())
        self.assertEqual(kwargs, {"signal": self.signal, "extra": 2})

    async def test_asend_mixed_receivers_sync_first(self):
        self.connect(async_receiver, sync_receiver)
        responses = await self.signal.asend(sender=Sender)
        self.assertEqual(
            [(receiver, response[0]) for receiver, response in responses],
            [(sync_receiver, "sync"), (async_receiver, "async")],
        )

    async def test_asend_runs_async_receivers_concurrently(self):
        event = asyncio.Event()

        async def waiter(sender, **kwargs):
            await event.wait()
            return "waited"

        async def setter(sender, **kwargs):
            event.set()
            return "set"

        self.connect(waiter, setter)
        # Called one after the other, waiter would wait forever.
        responses = await asyncio.wait_for(self.signal.asend(sender=Sender), 5)
        self.assertEqual(responses, [(waiter, "waited"), (setter, "set")])

    async def test_asend_sender_filter(self):
        self.connect(async_receiver, sender=Sender)
        self.assertEqual(await self.signal.asend(sender=object()), [])
        self.assertEqual(len(await self.signal.asend(sender=Sender)), 1)

    async def test_asend_propagates_async_error(self):
        self.connect(failing_async_receiver)
        with self.assertRaisesMessage(ValueError, "async receiver failed"):
            await self.signal.asend(sender=Sender)

    async def test_asend_propagates_sync_error(self):
        self.connect(async_receiver, failing_sync_receiver)
        with self.assertRaisesMessage(ValueError, "sync receiver failed"):
            await self.signal.asend(sender=Sender)

    async def test_asend_robust(self):
        self.connect(
            sync_receiver,
            failing_sync_receiver,
            async_receiver,
            failing_async_receiver,
        )
        with self.assertLogs("django.dispatch", "ERROR") as logs:
            responses = await self.signal.asend_robust(sender=Sender)
        receivers = [receiver for receiver, _ in responses]
        self.assertEqual(
            receivers,
            [
                sync_receiver,
                failing_sync_receiver,
                async_receiver,
                failing_async_receiver,
            ],
        )
        self.assertEqual(responses[0][1][0], "sync")
        self.assertEqual(responses[2][1][0], "async")
        for index, message in (
            (1, "sync receiver failed"),
            (3, "async receiver failed"),
        ):
            with self.subTest(receiver=receivers[index].__name__):
                self.assertIsInstance(responses[index][1], ValueError)
                self.assertEqual(str(responses[index][1]), message)
        # The two kinds run concurrently: either may fail first.
        self.assertCountEqual(
            [record.getMessage() for record in logs.records],
            [
                "Error calling failing_sync_receiver in Signal.send_robust() "
                "(sync receiver failed)",
                "Error calling failing_async_receiver in Signal.send_robust() "
                "(async receiver failed)",
            ],
        )
        self.assertTrue(all(record.exc_info for record in logs.records))

    async def test_asend_robust_doesnt_catch_cancellation(self):
        started = asyncio.Event()

        async def slow(sender, **kwargs):
            started.set()
            await asyncio.sleep(5)

        self.connect(slow)
        task = asyncio.create_task(self.signal.asend_robust(sender=Sender))
        await started.wait()
        task.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await task

    def test_send_calls_async_receivers_after_sync_ones(self):
        self.connect(async_receiver, sync_receiver)
        responses = self.signal.send(sender=Sender, extra=3)
        self.assertEqual(
            [(receiver, response[0]) for receiver, response in responses],
            [(sync_receiver, "sync"), (async_receiver, "async")],
        )
        self.assertEqual(responses[1][1][2], {"signal": self.signal, "extra": 3})

    def test_send_propagates_async_error(self):
        self.connect(failing_async_receiver)
        with self.assertRaisesMessage(ValueError, "async receiver failed"):
            self.signal.send(sender=Sender)

    def test_send_robust_with_async_receivers(self):
        self.connect(async_receiver, failing_async_receiver, failing_sync_receiver)
        with self.assertLogs("django.dispatch", "ERROR") as logs:
            responses = self.signal.send_robust(sender=Sender)
        self.assertEqual(
            [receiver for receiver, _ in responses],
            [failing_sync_receiver, async_receiver, failing_async_receiver],
        )
        self.assertIsInstance(responses[0][1], ValueError)
        self.assertEqual(responses[1][1][0], "async")
        self.assertIsInstance(responses[2][1], ValueError)
        self.assertEqual(len(logs.records), 2)

    async def test_send_with_async_receivers_on_the_event_loop(self):
        self.connect(async_receiver)
        msg = "You cannot use AsyncToSync in the same thread as an async event loop"
        with self.assertRaisesMessage(RuntimeError, msg):
            self.signal.send(sender=Sender)

    async def test_send_with_only_sync_receivers_on_the_event_loop(self):
        self.connect(sync_receiver)
        [(_, (kind, thread, _))] = self.signal.send(sender=Sender)
        self.assertEqual((kind, thread), ("sync", threading.get_ident()))

    def test_has_listeners_async_only(self):
        self.assertIs(self.signal.has_listeners(), False)
        self.connect(async_receiver)
        self.assertIs(self.signal.has_listeners(), True)

    def test_disconnect_async_receiver(self):
        self.signal.connect(async_receiver)
        self.assertIs(self.signal.disconnect(async_receiver), True)
        self.assertIs(self.signal.has_listeners(), False)
        self.assertIs(self.signal.disconnect(async_receiver), False)

    def test_dispatch_uid(self):
        async def first(sender, **kwargs):
            return 1

        async def second(sender, **kwargs):
            return 2

        self.signal.connect(first, dispatch_uid="uid")
        self.signal.connect(second, dispatch_uid="uid")
        self.addCleanup(self.signal.disconnect, dispatch_uid="uid")
        self.assertEqual(self.signal.send(sender=Sender), [(first, 1)])

    def test_weak_async_receiver_is_dropped(self):
        async def receiver(sender, **kwargs):
            return "alive"

        self.signal.connect(receiver)
        self.assertEqual(self.signal.send(sender=Sender), [(receiver, "alive")])
        del receiver
        gc.collect()
        self.assertEqual(self.signal.send(sender=Sender), [])
        self.assertEqual(self.signal.receivers, [])

    async def test_async_bound_method_receiver(self):
        class Handler:
            async def handle(self, sender, **kwargs):
                return self

        handler = Handler()
        self.connect(handler.handle)
        self.assertEqual(
            await self.signal.asend(sender=Sender), [(handler.handle, handler)]
        )

    async def test_caching_signal(self):
        signal = Signal(use_caching=True)
        self.assertEqual(await signal.asend(sender=Sender), [])
        self.connect(async_receiver, sync_receiver, signal=signal, sender=Sender)
        # connect() cleared the cache of the empty answer.
        self.assertEqual(len(await signal.asend(sender=Sender)), 2)
        self.assertEqual(len(await signal.asend(sender=Sender)), 2)
        self.assertEqual(signal.send(sender=Author), [])


class AsyncReceiverDatabaseTests(TestCase):
    async def test_asend_sync_receiver_can_query(self):
        signal = Signal()

        def count_authors(sender, **kwargs):
            return Author.objects.count()

        signal.connect(count_authors)
        self.assertEqual(await signal.asend(sender=Sender), [(count_authors, 0)])
