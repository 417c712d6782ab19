"""A sync job stopped at shutdown keeps its last checkpoint, or the one it had."""

import asyncio


class SyncJob:
    def __init__(self, store) -> None:
        self._store = store
        self._runner: asyncio.Task[int] = asyncio.create_task(self._run())
        self.checkpoint = 0

    async def _run(self) -> int:
        return await self._store.sync_all()

    async def stop(self) -> int:
        self._runner.cancel()
        checkpoint = self.checkpoint
        task = self._runner
        await asyncio.wait([task])
        try:
            checkpoint = task.result()
        except asyncio.CancelledError:
            pass
        return checkpoint
