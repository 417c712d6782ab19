"""Cancelled over a list literal and gathered from one."""

import asyncio


class Mirror:
    def __init__(self, up, down) -> None:
        self._up = asyncio.create_task(up())
        self._down = asyncio.create_task(down())

    async def stop(self) -> None:
        for task in [self._up, self._down]:
            task.cancel()
        await asyncio.gather(*[self._up, self._down], return_exceptions=True)
