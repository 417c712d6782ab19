import asyncio
import logging
from dataclasses import dataclass

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


@dataclass
class Job:
    id: str
    payload: dict


class JobWorker:
    def __init__(self, queue: asyncio.Queue[Job], concurrency: int = 8) -> None:
        self._queue = queue
        self._slots = asyncio.Semaphore(concurrency)

    async def serve(self) -> None:
        while True:
            job = await self._queue.get()
            await self._slots.acquire()
            # run it in the background; the semaphore bounds how many run at once
            task = asyncio.create_task(self._run(job))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)

    async def _run(self, job: Job) -> None:
        try:
            log.info("running job %s", job.id)
            await asyncio.sleep(0.1)
        finally:
            self._slots.release()
            self._queue.task_done()
