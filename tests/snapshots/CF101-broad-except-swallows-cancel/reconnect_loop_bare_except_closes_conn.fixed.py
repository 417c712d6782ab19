import asyncio
import logging

import websockets

log = logging.getLogger(__name__)


class FeedClient:
    def __init__(self, url, on_message):
        self.url = url
        self._on_message = on_message
        self._conn = None
        self._backoff = 1.0
        self._stopping = False

    async def run(self):
        while not self._stopping:
            try:
                self._conn = await websockets.connect(self.url)
                self._backoff = 1.0
                async for raw in self._conn:
                    await self._on_message(raw)
            except:
                log.exception("feed connection lost, retrying in %.1fs", self._backoff)
                if self._conn is not None:
                    await self._conn.close()
                    self._conn = None
                await asyncio.sleep(self._backoff)
                self._backoff = min(self._backoff * 2, 30.0)
