# cancelfix: target-version=py311
"""A match capture binds `task`, which scope analysis does not see: the local must be new."""

import asyncio


class Stop:
    __match_args__ = ("task",)

    def __init__(self, task):
        self.task = task


async def handle(self, message):
    match message:
        case Stop(task):
            pass
        case _:
            return None
    self._worker.cancel()
    task_1 = self._worker
    cancelling = asyncio.current_task().cancelling()
    try:
        await task_1
    except asyncio.CancelledError:
        if not task_1.done() or asyncio.current_task().cancelling() > cancelling:
            raise
    return task
