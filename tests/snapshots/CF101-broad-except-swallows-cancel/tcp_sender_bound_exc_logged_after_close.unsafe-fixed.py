import asyncio
import logging

log = logging.getLogger(__name__)


class LineSender:
    def __init__(self, host: str, port: int):
        self._host = host
        self._port = port
        self._writer = None

    async def send(self, line: str) -> bool:
        try:
            if self._writer is None:
                _, self._writer = await asyncio.open_connection(self._host, self._port)
            self._writer.write(line.encode() + b"\n")
            await self._writer.drain()
            return True
        except asyncio.CancelledError:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            raise
        except BaseException as exc:
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            log.warning("send to %s:%d failed: %r", self._host, self._port, exc)
            return False
