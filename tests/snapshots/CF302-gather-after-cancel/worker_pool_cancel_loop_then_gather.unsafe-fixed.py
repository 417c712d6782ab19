import asyncio
import logging

log = logging.getLogger(__name__)


async def run_pool(queue: asyncio.Queue, handle, size: int = 4) -> None:
    async def worker(n: int) -> None:
        while True:
            job = await queue.get()
            try:
                await handle(job)
            finally:
                queue.task_done()

    workers = [asyncio.create_task(worker(n), name=f"worker-{n}") for n in range(size)]
    try:
        await queue.join()
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    log.info("pool of %d workers drained", size)
