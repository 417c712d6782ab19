import asyncio
import logging

log = logging.getLogger(__name__)


async def start_workers(queue: asyncio.Queue, count: int) -> list:
    tasks = []
    for index in range(count):
        try:
            async def work(n=index):
                while True:
                    item = await queue.get()
                    log.debug("worker %d got %r", n, item)
                    queue.task_done()

            tasks.append(asyncio.create_task(work(), name=f"worker-{index}"))
        except BaseException:
            log.exception("could not start worker %d", index)
    return tasks
