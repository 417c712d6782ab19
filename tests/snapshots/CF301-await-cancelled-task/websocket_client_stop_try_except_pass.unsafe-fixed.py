"""A websocket client whose reader task is stopped on close."""

import asyncio
import logging

_LOGGER = logging.getLogger(__name__)


class WebSocketClient:
    def __init__(self, session, url):
        self._session = session
        self._url = url
        self._ws = None
        self._reader_task = None

    async def connect(self):
        self._ws = await self._session.ws_connect(self._url)
        self._reader_task = asyncio.create_task(self._read_loop())

    async def _read_loop(self):
        async for message in self._ws:
            _LOGGER.debug("received %s", message.data)

    async def close(self):
        if self._reader_task:
            self._reader_task.cancel()
            task = self._reader_task
            await asyncio.wait([task])
            if not task.cancelled():
                task.result()
            self._reader_task = None
        await self._ws.close()
