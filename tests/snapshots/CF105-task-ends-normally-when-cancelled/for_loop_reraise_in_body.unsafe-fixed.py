import asyncio
import logging

log = logging.getLogger(__name__)


class BufferedWriter:
    def __init__(self, writer: asyncio.StreamWriter, flush_retries: int = 3) -> None:
        self.writer = writer
        self.flush_retries = flush_retries
        self.buffer = bytearray()

    async def write_forever(self, source: asyncio.Queue) -> None:
        try:
            while True:
                self.buffer += await source.get()
                if len(self.buffer) > 65536:
                    await self._flush()
        except asyncio.CancelledError:
            for attempt in range(self.flush_retries):
                try:
                    await self._flush()
                except OSError:
                    log.debug("final flush attempt %d failed", attempt)
                    continue
                raise
            raise

    async def _flush(self) -> None:
        self.writer.write(bytes(self.buffer))
        await self.writer.drain()
        self.buffer.clear()
