"""An annotated assignment of a cancelled task's result."""

import asyncio


class Counter:
    def __init__(self, stream) -> None:
        self._stream = stream
        self._counting: asyncio.Task[int] = asyncio.create_task(self._count())

    async def _count(self) -> int:
        seen = 0
        try:
            async for _ in self._stream:
                seen += 1
        except asyncio.CancelledError:
            raise
        return seen

    async def total(self) -> int:
        self._counting.cancel()
        seen: int = await self._counting
        return seen
