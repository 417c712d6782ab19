"""A job runner starts each job as a named task of the running loop, written over several
lines with comments, and drops it."""

import asyncio

_background_tasks: set[object] = set()


class JobRunner:
    def __init__(self, queue) -> None:
        self._queue = queue

    async def _run(self, job) -> None:
        await job.execute()
        await self._queue.ack(job.id)

    async def serve(self) -> None:
        while True:
            job = await self._queue.get()
            task = asyncio.get_running_loop().create_task(
                self._run(job),  # the job's own retries live in execute()
                name=f"job-{job.id}",
            )
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
