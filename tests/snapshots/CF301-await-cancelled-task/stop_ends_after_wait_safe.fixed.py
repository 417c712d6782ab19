"""A stop() whose wait ends the coroutine (only a bare `return` follows): nothing is skipped
when the caller's cancellation now propagates, so the fix stays safe."""

import asyncio


class Worker:
    def __init__(self):
        self._task = None

    async def stop(self):
        if self._task is None:
            return
        self._task.cancel()
        task = self._task
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
        return
