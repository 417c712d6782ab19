import asyncio
import logging

log = logging.getLogger(__name__)


class PeerLink:
    def __init__(self, transport, probe_timeout: float = 3.0):
        self._transport = transport
        self._probe_timeout = probe_timeout
        self._loop = asyncio.get_running_loop()
        self._pong = asyncio.Event()
        self._probe_timer: asyncio.TimerHandle | None = None
        self.suspect = False

    def _on_probe_timeout(self) -> None:
        log.warning("peer %s did not answer a probe", self._transport.peer)
        self.suspect = True

    def on_pong(self) -> None:
        self._pong.set()

    async def probe(self) -> None:
        self._probe_timer = self._loop.call_later(self._probe_timeout, self._on_probe_timeout)
        try:
            await self._transport.send(b"PING")
            await self._pong.wait()
        finally:
            self._pong.clear()
            self._probe_timer.cancel()
        self.suspect = False
