"""A pool's close stops its checkouts one by one, then its reaper: one group. The loop's
cancels and the reaper's move before the first wait, so that a close cancelled while one
checkout finishes leaves nothing running; the waits keep their order. The plain `await` of a
checkout raised its CancelledError into `close()`: its fix is unsafe, and so is the group's."""

import asyncio


class ConnectionPool:
    def __init__(self) -> None:
        self._checkouts: list[asyncio.Task[None]] = []
        self._reaper_task: asyncio.Task[None] | None = None

    async def close(self) -> None:
        # Give back what is checked out.
        cancelled = []
        for checkout in self._checkouts:
            checkout.cancel()
            cancelled.append(checkout)
        self._reaper_task.cancel()
        for checkout in cancelled:
            await asyncio.wait([checkout])
            if not checkout.cancelled():
                checkout.result()
        task = self._reaper_task
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
