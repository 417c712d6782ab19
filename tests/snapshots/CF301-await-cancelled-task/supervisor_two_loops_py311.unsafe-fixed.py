# cancelfix: target-version=py311
"""A worker pool that cancels all workers, then waits for each in turn."""

import asyncio
import logging

log = logging.getLogger("pool")


class WorkerPool:
    def __init__(self, queue, size=4):
        self.queue = queue
        self.workers = [asyncio.create_task(self._work(n)) for n in range(size)]

    async def _work(self, number):
        while True:
            job = await self.queue.get()
            try:
                await job.run()
            finally:
                self.queue.task_done()

    async def shutdown(self):
        for worker in self.workers:
            worker.cancel()
        for worker in self.workers:
            cancelling = asyncio.current_task().cancelling()
            try:
                await worker
            except asyncio.CancelledError:
                if not worker.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
        log.info("pool stopped")
