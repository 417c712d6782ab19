"""`from asyncio import create_task`: a worker pool cancels its fetcher and parser over a
tuple bound to a name, then awaits the fetcher plainly: its CancelledError is the caller's."""

import asyncio
from asyncio import Queue, create_task


class CrawlPool:
    def __init__(self, fetch, parse) -> None:
        self._pages: Queue[str] = Queue()
        self._fetcher = create_task(fetch(self._pages))
        self._parser = create_task(parse(self._pages))

    async def stop(self) -> None:
        workers = (self._fetcher, self._parser)
        for worker in workers:
            worker.cancel()
        task = self._fetcher
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
        await self._pages.join()
