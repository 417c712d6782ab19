import asyncio
import logging
from typing import BinaryIO

import aiohttp

log = logging.getLogger(__name__)


class Downloader:
    def __init__(self, chunk_size: int = 64 * 1024):
        self._chunk_size = chunk_size
        self._disk_lock = asyncio.Lock()

    async def stream_to_disk(self, response: aiohttp.ClientResponse, dest: BinaryIO) -> int:
        await self._disk_lock.acquire()
        try:
            written = 0
            async for chunk in response.content.iter_chunked(self._chunk_size):
                dest.write(chunk)
                written += len(chunk)
        finally:
            self._disk_lock.release()
        log.debug("wrote %d bytes from %s", written, response.url)
        return written
