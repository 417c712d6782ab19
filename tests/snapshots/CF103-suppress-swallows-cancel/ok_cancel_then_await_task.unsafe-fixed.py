import asyncio
import logging

log = logging.getLogger(__name__)


class Ticker:
    def __init__(self, callback, period: float = 1.0):
        self._callback = callback
        self._period = period
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ticker")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._period)
            self._callback()

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        task = self._task
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
        self._task = None
        log.debug("ticker stopped")
