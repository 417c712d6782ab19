import asyncio
import logging

log = logging.getLogger("jobs")


async def worker(name: str, queue: asyncio.Queue, handlers: dict) -> None:
    while True:
        job = await queue.get()
        try:
            handler = handlers[job.kind]
            # Jobs are idempotent; a failure is logged and the job is dropped.
            await handler(job.payload)
            log.debug("%s finished job %s", name, job.id)
        except asyncio.CancelledError:
            raise
        except BaseException:
            log.exception("%s: job %s (%s) failed", name, job.id, job.kind)
        finally:
            queue.task_done()
