import asyncio
import logging

log = logging.getLogger(__name__)


class Replicator:
    def __init__(self, source, target) -> None:
        self.source = source
        self.target = target
        self._task: asyncio.Task | None = None

    async def _replicate(self) -> None:
        async for change in self.source.changes():
            await self.target.apply(change)

    async def restart(self) -> None:
        """Stop the current replication (if any) and run a fresh one until it ends."""
        if self._task is not None:
            self._task.cancel()
        self._task = asyncio.create_task(self._replicate())
        try:
            await self._task
        except asyncio.CancelledError:
            log.info("replication stopped")
        finally:
            self._task = None
