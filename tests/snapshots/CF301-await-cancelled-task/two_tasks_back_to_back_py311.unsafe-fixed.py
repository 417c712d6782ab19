# cancelfix: target-version=py311
"""A bridge that stops both directions, then waits for each."""

import asyncio


class Bridge:
    def __init__(self, upstream, downstream):
        self.upstream = upstream
        self.downstream = downstream
        self._up_task = None
        self._down_task = None

    async def stop(self):
        self._up_task.cancel()
        self._down_task.cancel()
        task = self._up_task
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError:
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
        task = self._down_task
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError:
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
        await self.upstream.close()
        await self.downstream.close()
