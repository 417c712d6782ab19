import asyncio
import logging

log = logging.getLogger(__name__)


class FeedPoller:
    def __init__(self, feeds, store, period: float = 300.0) -> None:
        self.feeds = feeds
        self.store = store
        self.period = period
        self.pollers: list[asyncio.Task] = []

    async def _poll(self, feed) -> None:
        while True:
            for entry in await feed.fetch():
                await self.store.upsert(entry)
            await asyncio.sleep(self.period)

    def start(self) -> None:
        self.pollers = [asyncio.create_task(self._poll(feed)) for feed in self.feeds]

    async def stop(self) -> None:
        for poller in self.pollers:
            if not poller.done():
                poller.cancel()
        await asyncio.gather(*self.pollers, return_exceptions=True)
        log.info("feed pollers stopped")
