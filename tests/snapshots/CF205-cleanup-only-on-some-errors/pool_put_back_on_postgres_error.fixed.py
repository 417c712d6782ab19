import asyncio

import asyncpg


class Pool:
    def __init__(self, size: int) -> None:
        self._queue: asyncio.LifoQueue = asyncio.LifoQueue(maxsize=size)

    async def acquire(self):
        holder = await self._queue.get()
        try:
            await holder.connect()
            await holder.reset()
        except (OSError, asyncpg.PostgresError):
            self._queue.put_nowait(holder)
            raise
        except asyncio.CancelledError:
            self._queue.put_nowait(holder)
            raise
        return holder
