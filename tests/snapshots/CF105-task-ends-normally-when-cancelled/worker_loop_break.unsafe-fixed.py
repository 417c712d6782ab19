import asyncio
import logging

log = logging.getLogger(__name__)


async def worker(name: str, queue: asyncio.Queue, handler) -> None:
    processed = 0
    while True:
        try:
            job = await queue.get()
        except asyncio.CancelledError:
            log.info("%s: cancelled after %d jobs", name, processed)
            raise
        try:
            await handler(job)
            processed += 1
        except Exception:
            log.exception("%s: job %r failed", name, job)
        finally:
            queue.task_done()
    log.debug("%s: exiting", name)
