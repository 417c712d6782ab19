import asyncio
import logging

log = logging.getLogger(__name__)


class JobScheduler:
    def __init__(self, jobs, clock) -> None:
        self.jobs = jobs
        self.clock = clock
        self.tickers: list[asyncio.Task] = []
        self.reaper: asyncio.Task | None = None

    async def _tick(self, job) -> None:
        while True:
            await asyncio.sleep(self.clock.until(job.next_run))
            await job.run()

    async def _reap(self) -> None:
        while True:
            await asyncio.sleep(60)
            self.jobs.expire(self.clock.now())

    def start(self) -> None:
        self.tickers = [asyncio.create_task(self._tick(job)) for job in self.jobs]
        self.reaper = asyncio.create_task(self._reap())

    async def stop(self) -> None:
        for ticker in self.tickers:
            ticker.cancel()
        self.reaper.cancel()
        await asyncio.gather(
            *self.tickers,
            self.reaper,  # expires stale jobs
            return_exceptions=True,
        )
        log.info("scheduler stopped")
