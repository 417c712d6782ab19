import asyncio
import logging

log = logging.getLogger(__name__)


class WorkerPool:
    def __init__(self, size: int, work) -> None:
        self.size = size
        self.work = work
        self.tasks: list[asyncio.Task] = []

    def start(self) -> None:
        self.tasks = [asyncio.create_task(self.work(i), name=f"worker-{i}") for i in range(self.size)]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        log.info("stopped %d workers", len(self.tasks))
        self.tasks.clear()
