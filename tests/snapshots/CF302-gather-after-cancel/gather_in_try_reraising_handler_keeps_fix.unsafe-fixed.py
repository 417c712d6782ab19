"""A handler around the gather that catches CancelledError and re-raises it swallows nothing
after the fix: the fix stands (beside a handler that swallows it, the finding is report only)."""

import asyncio
import logging

log = logging.getLogger(__name__)


class Pool:
    def __init__(self) -> None:
        self.tasks: list[asyncio.Task] = []

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        try:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        except asyncio.CancelledError:
            log.info("stop cancelled")
            raise
        self.tasks.clear()
