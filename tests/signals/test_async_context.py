import asyncio
import contextvars

from django.dispatch import Signal
from django.test import SimpleTestCase

request_id = contextvars.ContextVar("request_id", default=None)
hops = contextvars.ContextVar("hops", default=0)


class Sender:
    pass


def sync_hop(sender, **kwargs):
    hops.set(hops.get() + 1)
    return (request_id.get(), hops.get())


async def async_hop(sender, **kwargs):
    # Give the other receivers' tasks a turn before reading.
    await asyncio.sleep(0)
    hops.set(hops.get() + 1)
    return (request_id.get(), hops.get())


async def async_hop_failing(sender, **kwargs):
    hops.set(hops.get() + 1)
    raise KeyError("missing")


class ReceiverContextTests(SimpleTestCase):
    """
    Receivers of asend() and asend_robust() (and the async receivers of send())
    see the context variables of the code that sends, share what they set,
    and hand it back to the sender.
    """

    def setUp(self):
        self.signal = Signal()
        # asgiref hands the async tests' context changes back to this thread.
        request_id.set(None)
        hops.set(0)

    def connect(self, *receivers):
        for receiver in receivers:
            self.signal.connect(receiver)
            self.addCleanup(self.signal.disconnect, receiver)

    async def test_asend_async_receivers_see_callers_variables(self):
        self.connect(async_hop, async_hop_copy)
        request_id.set("r-1")
        hops.set(10)
        responses = await self.signal.asend(sender=Sender)
        self.assertEqual(
            sorted(response for _, response in responses),
            [("r-1", 11), ("r-1", 12)],
        )
        # What the receivers set is the sender's now.
        self.assertEqual(hops.get(), 12)

    async def test_asend_async_receivers_see_sync_receivers_changes(self):
        self.connect(async_hop, sync_hop)
        hops.set(1)
        responses = await self.signal.asend(sender=Sender)
        self.assertEqual(responses, [(sync_hop, (None, 2)), (async_hop, (None, 3))])
        self.assertEqual(hops.get(), 3)

    async def test_asend_robust_shares_context(self):
        self.connect(sync_hop, async_hop, async_hop_copy)
        request_id.set("r-2")
        hops.set(0)
        responses = await self.signal.asend_robust(sender=Sender)
        self.assertEqual(
            sorted(response for _, response in responses),
            [("r-2", 1), ("r-2", 2), ("r-2", 3)],
        )
        self.assertEqual(hops.get(), 3)

    async def test_asend_robust_failing_receiver(self):
        self.connect(async_hop_failing, async_hop)
        hops.set(0)
        with self.assertLogs("django.dispatch", "ERROR") as logs:
            responses = await self.signal.asend_robust(sender=Sender)
        (failing, error), (receiver, response) = responses
        self.assertIs(failing, async_hop_failing)
        self.assertIsInstance(error, KeyError)
        # The other receiver ran to its end, after the failing one's change.
        self.assertIs(receiver, async_hop)
        self.assertEqual(response, (None, 2))
        self.assertEqual(hops.get(), 2)
        self.assertIn("async_hop_failing", logs.output[0])

    async def test_asend_error_cancels_other_receivers(self):
        finished = []

        async def slow(sender, **kwargs):
            await asyncio.sleep(5)
            finished.append(True)

        self.connect(slow, async_hop_failing)
        hops.set(0)
        # The receiver's own error, not an ExceptionGroup.
        with self.assertRaisesMessage(KeyError, "missing"):
            await self.signal.asend(sender=Sender)
        self.assertEqual(finished, [])
        # Changes made before the error still reach the sender.
        self.assertEqual(hops.get(), 1)

    async def test_asend_several_errors_grouped(self):
        async def other_failing(sender, **kwargs):
            raise ValueError("other")

        self.connect(async_hop_failing, other_failing)
        with self.assertRaises(ExceptionGroup) as ctx:
            await self.signal.asend(sender=Sender)
        self.assertEqual(
            sorted(type(error).__name__ for error in ctx.exception.exceptions),
            ["KeyError", "ValueError"],
        )

    def test_send_async_receivers_share_context(self):
        self.connect(sync_hop, async_hop, async_hop_copy)
        hops.set(5)
        request_id.set("r-3")
        responses = self.signal.send(sender=Sender)
        self.assertEqual(
            sorted(response for _, response in responses),
            [("r-3", 6), ("r-3", 7), ("r-3", 8)],
        )
        self.assertEqual(hops.get(), 8)

    def test_send_robust_async_receivers_share_context(self):
        self.connect(async_hop, async_hop_failing)
        hops.set(0)
        with self.assertLogs("django.dispatch", "ERROR"):
            responses = self.signal.send_robust(sender=Sender)
        self.assertIsInstance(responses[1][1], KeyError)
        self.assertEqual(hops.get(), 2)


async def async_hop_copy(sender, **kwargs):
    """A second receiver doing what async_hop does (a signal keeps one each)."""
    return await async_hop(sender, **kwargs)
