# cancelfix: target-version=py311
"""A websocket client whose close() stops its reader, then its pinger, one after the other."""

import asyncio


class WebSocketClient:
    def __init__(self, ws, interval: float = 15.0) -> None:
        self._ws = ws
        self._interval = interval
        self._reader = None
        self._pinger = None
        self.state = "new"

    def start(self) -> None:
        self._reader = asyncio.create_task(self._read())
        self._pinger = asyncio.create_task(self._ping())
        self.state = "open"

    async def _read(self) -> None:
        async for message in self._ws:
            await self.on_message(message)

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self._ws.ping()

    async def close(self) -> None:
        self._reader.cancel()
        # the pinger too
        self._pinger.cancel()
        for task in (self._reader, self._pinger):
            cancelling = asyncio.current_task().cancelling()
            try:
                await task
            except asyncio.CancelledError:
                if not task.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
        await self._ws.close()
        self.state = "closed"
