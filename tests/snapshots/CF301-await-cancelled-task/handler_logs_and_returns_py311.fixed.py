# cancelfix: target-version=py311
"""A sync job whose stop() tells whether the job was still running."""

import asyncio
import logging

_LOGGER = logging.getLogger(__name__)


class SyncJob:
    def __init__(self, store):
        self.store = store
        self.task = None

    async def stop(self) -> bool:
        """Stop the running sync; True if it had already finished."""
        self.task.cancel()
        task = self.task
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError:
            _LOGGER.debug("sync of %s interrupted", self.store.name)
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
            return False
        return True
