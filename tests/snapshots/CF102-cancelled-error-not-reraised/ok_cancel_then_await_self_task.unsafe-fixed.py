import asyncio
import logging

log = logging.getLogger(__name__)


class Poller:
    def __init__(self, fetch, interval: float = 5.0) -> None:
        self._fetch = fetch
        self._interval = interval
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await self._fetch()
            await asyncio.sleep(self._interval)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        task = self._task
        await asyncio.wait([task])
        try:
            task.result()
        except asyncio.CancelledError:
            log.debug("poller stopped")
        self._task = None
