import asyncio
import enum
import logging

import aiohttp

log = logging.getLogger(__name__)


class State(enum.Enum):
    IDLE = "idle"
    CONNECTED = "connected"
    FAILED = "failed"


class GatewayConnection:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self._session = session
        self._url = url
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.state = State.IDLE

    async def connect(self) -> None:
        self._ws = await self._session.ws_connect(self._url, heartbeat=30)
        try:
            hello = await self._ws.receive_json(timeout=10)
            await self._ws.send_json({"op": "identify", "session": hello["session_id"]})
        except BaseException:
            await self._ws.close()
            self._ws = None
            self.state = State.FAILED
            log.exception("gateway handshake with %s failed", self._url)
            raise
        self.state = State.CONNECTED
