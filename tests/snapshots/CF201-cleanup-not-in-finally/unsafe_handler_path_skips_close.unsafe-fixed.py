import logging

import aiohttp

log = logging.getLogger(__name__)


class ChatBridge:
    def __init__(self, url: str) -> None:
        self.url = url
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._stopping = False

    async def pump(self, session: aiohttp.ClientSession, outbox) -> None:
        self._ws = await session.ws_connect(self.url, heartbeat=20)
        try:
            async for msg in self._ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    await outbox.put(msg.data)
        except aiohttp.ClientError:
            if self._stopping:
                return
            log.exception("chat bridge to %s failed", self.url)
            raise
        finally:
            await self._ws.close()
