import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class Connection:
    def __init__(self, reader, writer):
        self._reader = reader
        self._writer = writer

    async def read_response(self) -> bytes:
        try:
            return await self._reader.readuntil(b"\r\n")
        except BaseException:
            # A half-read reply would poison the next command: drop the connection.
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
            raise
