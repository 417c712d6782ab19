"""A websocket client whose close() stops its reader, then its pinger (target below 3.11)."""

import asyncio


class WebSocketClient:
    def __init__(self, ws) -> None:
        self._ws = ws
        self._reader: asyncio.Task[None] | None = None
        self._pinger: asyncio.Task[None] | None = None

    async def close(self) -> None:
        self._reader.cancel()
        self._pinger.cancel()
        for task in (self._reader, self._pinger):
            await asyncio.wait([task])
            if not task.cancelled():
                task.result()
        await self._ws.close()
