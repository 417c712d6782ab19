import asyncio
import logging

log = logging.getLogger(__name__)


class Uploader:
    def __init__(self, name: str, queue: asyncio.Queue, store, slots: asyncio.Semaphore):
        self._name = name
        self._queue = queue
        self._store = store
        self._slots = slots

    async def _upload(self, job: dict) -> None:
        await self._store.put(job["key"], job["body"])

    async def run(self) -> None:
        while True:
            await self._slots.acquire()
            try:
                job = await self._queue.get()
                if job is None:
                    log.info("uploader %s: stop sentinel received", self._name)
                    break
                await self._upload(job)
                self._queue.task_done()
            finally:
                self._slots.release()
