import asyncio
import logging

log = logging.getLogger(__name__)


class ThumbnailWorker:
    def __init__(self, renderer, storage, concurrency: int = 4) -> None:
        self.renderer = renderer
        self.storage = storage
        self.slots = asyncio.Semaphore(concurrency)

    async def run(self, jobs: asyncio.Queue) -> None:
        while True:
            job = await jobs.get()
            await self.slots.acquire()
            try:
                if await self.storage.exists(job.thumbnail_key):
                    continue
                image = await self.renderer.render(job.source_key, size=(256, 256))
                await self.storage.put(job.thumbnail_key, image)
            except (OSError, ValueError):
                log.exception("thumbnail for %s failed", job.source_key)
            finally:
                self.slots.release()
