import logging

log = logging.getLogger(__name__)


class Scheduler:
    def __init__(self, runner) -> None:
        self._runner = runner
        self._active: set[str] = set()

    async def run(self, job_id: str) -> None:
        self._active.add(job_id)
        try:
            await self._runner.start(job_id)
            await self._runner.wait(job_id)
        except BaseException:
            self._active.discard(job_id)
            log.error("job %s failed", job_id)
            raise
        self._active.discard(job_id)
