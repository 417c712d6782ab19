import asyncio
import logging

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, conn, interval: float = 10.0):
        self._conn = conn
        self._interval = interval
        self._task = None

    async def stop(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        task = self._task
        await asyncio.wait([task])
        try:
            task.result()
        except BaseException:
            pass
        self._task = None
        log.debug("heartbeat stopped")
