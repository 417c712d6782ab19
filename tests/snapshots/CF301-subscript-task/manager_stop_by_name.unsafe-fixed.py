"""A task manager keyed by name: stop one and wait for it to end."""

import asyncio


class TaskManager:
    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def start(self, name: str, job) -> None:
        self._tasks[name] = asyncio.create_task(job())

    async def stop(self, name: str) -> None:
        self._tasks[name].cancel()
        task = self._tasks[name]
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
        del self._tasks[name]
