"""A test that wants the CancelledError: the `await` inside `assertRaises` is left alone."""

import asyncio
import unittest


class WorkerTest(unittest.IsolatedAsyncioTestCase):
    async def test_cancel_stops_worker(self) -> None:
        task = asyncio.create_task(asyncio.sleep(10))
        try:
            await asyncio.sleep(0)
        finally:
            task.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await task
        self.assertTrue(task.cancelled())
