import asyncio
import logging

log = logging.getLogger(__name__)


class FramedConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer
        self._closing = False

    async def send_frame(self, payload: bytes) -> bool:
        try:
            self._writer.write(len(payload).to_bytes(4, "big") + payload)
            await self._writer.drain()
            return True
        except BaseException:
            if self._closing:
                return False
            self._closing = True
            self._writer.close()
            await self._writer.wait_closed()
            return False
