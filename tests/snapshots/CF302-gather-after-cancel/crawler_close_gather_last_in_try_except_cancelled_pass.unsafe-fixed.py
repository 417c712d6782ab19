"""A crawler's close(): the workers are cancelled, then gathered inside the usual
`except CancelledError: pass`, and nothing runs after it. With return_exceptions=True the
handler would only swallow the caller's own cancellation, so the try goes."""

import asyncio


class Crawler:
    def __init__(self, concurrency: int) -> None:
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._workers = [asyncio.create_task(self._work()) for _ in range(concurrency)]

    async def _work(self) -> None:
        while True:
            url = await self._queue.get()
            await self._fetch(url)
            self._queue.task_done()

    async def _fetch(self, url: str) -> None:
        await asyncio.sleep(0.01)

    async def close(self) -> None:
        for worker in self._workers:
            worker.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
