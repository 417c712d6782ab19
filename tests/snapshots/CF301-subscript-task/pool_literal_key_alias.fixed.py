"""`import asyncio as aio`: a connection pool keeps its maintenance loops by literal key;
closing the pool stops the reaper and awaits it with a handler that logs."""

import asyncio as aio
import logging

log = logging.getLogger(__name__)


class ConnectionPool:
    def __init__(self, factory, size: int) -> None:
        self._factory = factory
        self._idle: list = []
        self._loops: dict[str, aio.Task[None]] = {
            "reaper": aio.create_task(self._reap_idle()),
        }

    async def _reap_idle(self) -> None:
        while True:
            await aio.sleep(30)
            while self._idle:
                await self._idle.pop().close()

    async def close(self) -> None:
        self._loops["reaper"].cancel()
        task = self._loops["reaper"]
        await aio.wait([task])
        try:
            task.result()
        except aio.CancelledError:
            log.debug("idle reaper stopped")
