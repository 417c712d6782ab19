import asyncio as aio
import logging

log = logging.getLogger(__name__)


class LineClient:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: aio.StreamReader | None = None
        self.writer: aio.StreamWriter | None = None

    async def connect(self, greeting_timeout: float = 5.0) -> str:
        reader, writer = await aio.open_connection(self.host, self.port)
        try:
            banner = await aio.wait_for(reader.readline(), timeout=greeting_timeout)
        except BaseException:
            writer.close()
            raise
        self.reader, self.writer = reader, writer
        return banner.decode().rstrip()
