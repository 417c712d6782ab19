# cancelfix: target-version=py311
"""Stopping one task from the handler of another: both get guards, with names of their own."""

import asyncio


class Bridge:
    async def stop(self):
        self._upstream_task.cancel()
        task_1 = self._upstream_task
        cancelling_1 = asyncio.current_task().cancelling()
        try:
            await task_1
        except asyncio.CancelledError:
            self._downstream_task.cancel()
            task = self._downstream_task
            cancelling = asyncio.current_task().cancelling()
            try:
                await task
            except asyncio.CancelledError:
                if not task.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
            if not task_1.done() or asyncio.current_task().cancelling() > cancelling_1:
                raise
