"""A worker pool stops its first worker and awaits it directly."""

import asyncio


class WorkerPool:
    def __init__(self, queue, size: int) -> None:
        self._queue = queue
        self._workers = [asyncio.create_task(self._work()) for _ in range(size)]

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            await job.run()
            self._queue.task_done()

    async def shrink(self) -> None:
        self._workers[0].cancel()
        task = self._workers[0]
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
        self._workers.pop(0)
