import asyncio
import logging

log = logging.getLogger(__name__)


class BatchWriter:
    def __init__(self, db, queue: asyncio.Queue, batch_size: int = 100) -> None:
        self.db = db
        self.queue = queue
        self.batch_size = batch_size

    async def run(self) -> None:
        batch: list[tuple] = []
        cancelled = False
        while True:
            try:
                batch.append(await self.queue.get())
            except asyncio.CancelledError:
                cancelled = True
                break
            if len(batch) >= self.batch_size:
                await self.db.executemany("INSERT INTO events VALUES ($1, $2)", batch)
                batch.clear()
        if batch:
            await asyncio.shield(self.db.executemany("INSERT INTO events VALUES ($1, $2)", batch))
            log.info("flushed %d events on shutdown", len(batch))
        if cancelled:
            raise asyncio.CancelledError
