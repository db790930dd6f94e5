"""
Signal.asend() awaits the asynchronous stand-in that one of Django's own
synchronous receivers carries (see django.db.close_old_connections), in the
caller's task, instead of calling the receiver in a thread.
"""

import asyncio
import threading

from django.dispatch import Signal
from django.test import SimpleTestCase


def with_stand_in(name, calls):
    def receiver(**kwargs):
        calls.append((name, "sync", threading.get_ident()))
        return name

    async def stand_in(**kwargs):
        calls.append((name, "stand-in", asyncio.current_task()))
        return "%s on the loop" % name

    receiver._asend_stand_in = stand_in
    return receiver


class AsendStandInTests(SimpleTestCase):
    def setUp(self):
        self.signal = Signal()
        self.calls = []

    async def test_awaited_in_caller_task(self):
        receiver = with_stand_in("first", self.calls)
        self.signal.connect(receiver)
        responses = await self.signal.asend(sender=None)
        self.assertEqual(responses, [(receiver, "first on the loop")])
        self.assertEqual(self.calls, [("first", "stand-in", asyncio.current_task())])

    def test_send_calls_receiver(self):
        receiver = with_stand_in("first", self.calls)
        self.signal.connect(receiver)
        self.assertEqual(self.signal.send(sender=None), [(receiver, "first")])
        self.assertEqual(self.calls, [("first", "sync", threading.get_ident())])

    async def test_responses_in_connection_order(self):
        def plain(**kwargs):
            return "plain"

        async def coroutine(**kwargs):
            return "coroutine"

        first = with_stand_in("first", self.calls)
        last = with_stand_in("last", self.calls)
        for receiver in (first, plain, coroutine, last):
            self.signal.connect(receiver)
        responses = await self.signal.asend(sender=None)
        self.assertEqual(
            responses,
            [
                (first, "first on the loop"),
                (plain, "plain"),
                (last, "last on the loop"),
                (coroutine, "coroutine"),
            ],
        )

    async def test_error(self):
        receiver = with_stand_in("first", self.calls)

        async def fails(**kwargs):
            raise ValueError("stand-in failed")

        receiver._asend_stand_in = fails
        self.signal.connect(receiver)
        with self.assertRaisesMessage(ValueError, "stand-in failed"):
            await self.signal.asend(sender=None)
        with self.assertLogs("django.dispatch", "ERROR"):
            [(_, error)] = await self.signal.asend_robust(sender=None)
        self.assertIsInstance(error, ValueError)
