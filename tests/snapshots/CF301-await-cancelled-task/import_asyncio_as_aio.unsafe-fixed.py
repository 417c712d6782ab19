"""A crawler that imports asyncio under another name."""

import asyncio as aio


class Crawler:
    def __init__(self, fetcher):
        self.fetcher = fetcher
        self.pending = []

    def schedule(self, url):
        self.pending.append(aio.create_task(self.fetcher.fetch(url)))

    async def abort(self):
        for task in self.pending:
            task.cancel()
        for task in self.pending:
            await aio.wait([task])
            if not task.cancelled():
                task.result()
        self.pending = []
