import asyncio
import logging

log = logging.getLogger(__name__)


async def consumer(queue: asyncio.Queue, handle) -> None:
    while True:
        try:
            item = await queue.get()
        except asyncio.CancelledError:
            log.info("consumer stopping, %d items left", queue.qsize())
            raise
        try:
            await handle(item)
        finally:
            queue.task_done()
