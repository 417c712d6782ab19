import asyncio
import logging

log = logging.getLogger(__name__)


async def run_jobs(jobs, limit: int = 4) -> list[object]:
    results: list[object] = []
    semaphore = asyncio.Semaphore(limit)

    def collect(task: asyncio.Task) -> None:
        try:
            results.append(task.result())
        except asyncio.CancelledError:
            log.info("job %s was cancelled", task.get_name())
        except Exception:
            log.exception("job %s failed", task.get_name())

    async def guarded(job):
        async with semaphore:
            return await job()

    tasks = [asyncio.create_task(guarded(job)) for job in jobs]
    for task in tasks:
        task.add_done_callback(collect)
    await asyncio.wait(tasks)
    return results
