# cancelfix: target-version=py311
"""A module that imports names from asyncio, never the module itself."""

import asyncio
from asyncio import CancelledError, Task, create_task, sleep


class Ticker:
    def __init__(self, callback):
        self.callback = callback
        self.task: Task[None] = create_task(self.run())

    async def run(self):
        while True:
            await self.callback()
            await sleep(1)

    async def stop(self):
        self.task.cancel()
        task = self.task
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except CancelledError:
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
