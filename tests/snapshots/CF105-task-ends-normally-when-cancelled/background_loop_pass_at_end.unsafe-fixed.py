"""A background task's top-level loop whose cancellation handler ends it normally."""

import asyncio
import logging

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, conn, interval: float = 30.0) -> None:
        self._conn = conn
        self._interval = interval

    async def _run(self) -> None:
        try:
            while True:
                await self._conn.ping()
                await asyncio.sleep(self._interval)
        except asyncio.CancelledError:
            log.debug("heartbeat stopped")
            raise
