"""A tuple of the pool's maintenance tasks is cancelled by name, then gathered member by member."""

import asyncio


class Pool:
    def __init__(self) -> None:
        self._reaper = asyncio.create_task(self._reap())
        self._pinger = asyncio.create_task(self._ping())

    async def _reap(self) -> None:
        await asyncio.sleep(3600)

    async def _ping(self) -> None:
        await asyncio.sleep(3600)

    async def close(self) -> None:
        maintenance = (self._reaper, self._pinger)
        for task in maintenance:
            task.cancel()
        await asyncio.gather(self._reaper, self._pinger, return_exceptions=True)
