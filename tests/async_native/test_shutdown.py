import asyncio
import threading

from django.db import connections, native
from django.test import TransactionTestCase

from .tests import backend_pid, native_on, run_native


class _StuckJob:
    """
    A maintenance job for the pool's background tasks that is still running
    when the loop shuts down.
    """

    async def run(self):
        await asyncio.sleep(3600)

    tick = run


@native_on
class LoopShutdownTests(TransactionTestCase):
    """
    Shutting a loop down (asyncio.Runner.close(), asyncio.run(), pytest-asyncio
    closing a test's loop) cancels every task, the pools' background tasks
    included, before the pools close; it must end even when one of those tasks
    swallows the cancellation.
    """

    available_apps = ["async_native"]

    def shut_down_after(self, last_step):
        """
        Run a native query and then last_step(pool) on a loop of its own and
        close it, in a thread: a shutdown that hangs fails the test instead
        of the test run.
        """

        async def main():
            await run_native(backend_pid)
            await last_step(native.pool_for("default", connections).pool)

        def run():
            runner = asyncio.Runner()
            try:
                runner.run(main())
            finally:
                runner.close()
            done.set()

        done = threading.Event()
        threading.Thread(target=run, daemon=True).start()
        self.assertIs(done.wait(timeout=20), True, "The loop's shutdown hung.")

    def test_scheduler_woken_as_the_loop_stops(self):
        # The scheduler is woken up (a job enters its queue) just before the
        # loop stops: Python 3.11's asyncio.wait_for(), where the scheduler
        # waits, lets the wait's result win over the cancellation then. (The
        # job comes first in the queue: the pool's own first job is due after
        # max_idle.)
        async def last_step(pool):
            await pool.schedule_task(_StuckJob(), pool.max_idle / 2)

        for _ in range(3):
            self.shut_down_after(last_step)

    def test_scheduled_job_running(self):
        # The scheduler survives the errors of the jobs it runs,
        # cancellation included (it logs them).
        async def last_step(pool):
            await pool.schedule_task(_StuckJob(), 0)
            await asyncio.sleep(0.1)

        with self.assertLogs(level="WARNING"):
            self.shut_down_after(last_step)

    def test_worker_job_running(self):
        # So do the workers.
        async def last_step(pool):
            pool.run_task(_StuckJob())
            await asyncio.sleep(0.1)

        with self.assertLogs(level="WARNING"):
            self.shut_down_after(last_step)
