import asyncio as aio
import logging

log = logging.getLogger(__name__)


class Crawler:
    def __init__(self, session, frontier: aio.Queue, concurrency: int = 8) -> None:
        self.session = session
        self.frontier = frontier
        self.concurrency = concurrency
        self.seen: set[str] = set()

    async def _fetch_loop(self) -> None:
        while True:
            url = await self.frontier.get()
            if url not in self.seen:
                self.seen.add(url)
                async with self.session.get(url) as response:
                    log.info("%s -> %d", url, response.status)
            self.frontier.task_done()

    async def crawl(self, deadline: float) -> set[str]:
        fetchers = [aio.create_task(self._fetch_loop()) for _ in range(self.concurrency)]
        try:
            await aio.wait_for(self.frontier.join(), deadline)
        except aio.TimeoutError:
            log.warning("crawl deadline reached with %d urls queued", self.frontier.qsize())
        finally:
            for fetcher in fetchers:
                fetcher.cancel()
            await aio.gather(*fetchers, return_exceptions=True)
        return self.seen
