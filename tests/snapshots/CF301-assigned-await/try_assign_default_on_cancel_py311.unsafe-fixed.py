# cancelfix: target-version=py311
"""A report job cancelled at shutdown: its summary, or None if it stopped without one.
The `except` also swallows a cancellation of the shutdown itself."""

import asyncio


class Reporter:
    def __init__(self, db) -> None:
        self._db = db
        self._job = asyncio.create_task(self._build())

    async def _build(self) -> dict[str, int]:
        return await self._db.aggregate()

    async def shutdown(self) -> dict[str, int] | None:
        self._job.cancel()
        task = self._job
        cancelling = asyncio.current_task().cancelling()
        try:
            summary = await task
        except asyncio.CancelledError:
            summary = None
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
        await self._db.close()
        return summary
