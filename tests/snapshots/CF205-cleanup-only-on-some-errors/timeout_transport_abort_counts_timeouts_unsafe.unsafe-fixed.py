import asyncio
from dataclasses import dataclass


class HandshakeTimeout(Exception):
    pass


@dataclass
class Stats:
    handshake_timeouts: int = 0


class TlsClient:
    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._transport: asyncio.Transport | None = None
        self.stats = Stats()

    async def open(self, protocol_factory, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        self._transport, protocol = await loop.create_connection(
            protocol_factory, self._host, self._port, ssl=True
        )
        try:
            await asyncio.wait_for(protocol.handshake_done, timeout)
        except asyncio.TimeoutError:
            self.stats.handshake_timeouts += 1
            self._transport.abort()
            self._transport = None
            raise HandshakeTimeout(self._host)
        except asyncio.CancelledError:
            self.stats.handshake_timeouts += 1
            self._transport.abort()
            self._transport = None
            raise
