import asyncio
import logging

log = logging.getLogger(__name__)


class WebSocketSession:
    def __init__(self, ws, heartbeat: float = 20.0) -> None:
        self._ws = ws
        self._heartbeat = heartbeat
        self._reader: asyncio.Task | None = None
        self._pinger: asyncio.Task | None = None

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read_loop())
        self._pinger = asyncio.create_task(self._ping_loop())

    async def _read_loop(self) -> None:
        async for message in self._ws:
            log.debug("received %r", message)

    async def _ping_loop(self) -> None:
        while True:
            await asyncio.sleep(self._heartbeat)
            await self._ws.ping()

    async def close(self, code: int = 1000) -> None:
        self._reader.cancel()
        self._pinger.cancel()
        await asyncio.gather(self._reader, self._pinger, return_exceptions=True)
        await self._ws.close(code=code)
