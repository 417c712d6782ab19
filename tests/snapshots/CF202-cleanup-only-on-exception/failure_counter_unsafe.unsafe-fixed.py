import asyncio
import logging

log = logging.getLogger(__name__)


class UpstreamConnector:
    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self.connect_failures = 0
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        reader, writer = await asyncio.open_connection(self._host, self._port)
        try:
            writer.write(b"HELLO 1\r\n")
            await writer.drain()
            await asyncio.wait_for(reader.readuntil(b"\r\n"), timeout=3)
        except BaseException:
            self.connect_failures += 1
            writer.close()
            raise
        self.writer = writer
