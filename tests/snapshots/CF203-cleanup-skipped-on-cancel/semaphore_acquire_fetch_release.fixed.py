import asyncio
import logging

log = logging.getLogger(__name__)


class Crawler:
    def __init__(self, http, max_parallel: int = 8, timeout: float = 20.0):
        self._http = http
        self._timeout = timeout
        self._slots = asyncio.Semaphore(max_parallel)
        self.pages: dict[str, bytes] = {}

    async def fetch(self, url: str) -> int:
        await self._slots.acquire()
        try:
            log.debug("fetching %s", url)
            body = await self._http.get_bytes(url, timeout=self._timeout)
            self.pages[url] = body
        finally:
            self._slots.release()
        return len(body)

    async def fetch_all(self, urls: list[str]) -> int:
        sizes = await asyncio.gather(*(self.fetch(url) for url in urls))
        return sum(sizes)
