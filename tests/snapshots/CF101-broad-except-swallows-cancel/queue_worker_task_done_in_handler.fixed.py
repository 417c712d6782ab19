import asyncio
import logging

log = logging.getLogger(__name__)


async def consume(queue: asyncio.Queue, process) -> None:
    while True:
        item = await queue.get()
        try:
            await process(item)
            queue.task_done()
        except BaseException:
            log.exception("processing %r failed", item)
            # Mark it done anyway so queue.join() does not hang.
            queue.task_done()
