import asyncio
import json
import logging

import websockets

log = logging.getLogger(__name__)


class FeedClient:
    def __init__(self, url: str, symbols: list[str]) -> None:
        self._url = url
        self._symbols = symbols
        self._ws = None

    async def connect(self) -> None:
        ws = await websockets.connect(self._url, ping_interval=20)
        try:
            await ws.send(json.dumps({"op": "subscribe", "args": self._symbols}))
            ack = await asyncio.wait_for(ws.recv(), timeout=5)
            log.debug("subscribe ack: %s", ack)
        except BaseException:
            try:
                await ws.close()
            except OSError:
                log.debug("closing %s after failed subscribe also failed", self._url)
            raise
        self._ws = ws
