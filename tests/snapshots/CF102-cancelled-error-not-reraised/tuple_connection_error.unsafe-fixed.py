import asyncio
import logging
import random

log = logging.getLogger(__name__)


class ReconnectingClient:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.writer: asyncio.StreamWriter | None = None

    async def run(self, handle_line) -> None:
        delay = 1.0
        while True:
            try:
                reader, self.writer = await asyncio.open_connection(self.host, self.port)
                delay = 1.0
                while line := await reader.readline():
                    await handle_line(line)
            except asyncio.CancelledError:
                if self.writer is not None:
                    self.writer.close()
                    self.writer = None
                raise
            except ConnectionError as exc:
                log.warning("connection to %s:%d lost: %r", self.host, self.port, exc)
                if self.writer is not None:
                    self.writer.close()
                    self.writer = None
            await asyncio.sleep(delay + random.random())
            delay = min(delay * 2, 60.0)
