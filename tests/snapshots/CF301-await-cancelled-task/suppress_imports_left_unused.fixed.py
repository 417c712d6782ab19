"""Below 3.11 the fix neither suppresses nor names `CancelledError`: both imports go."""

import asyncio


class Pinger:
    async def stop(self) -> None:
        self._task.cancel()
        task = self._task
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()

    async def ping(self) -> None:
        await asyncio.sleep(1)
