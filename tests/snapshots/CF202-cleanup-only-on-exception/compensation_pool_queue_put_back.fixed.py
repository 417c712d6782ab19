import asyncio


class PoolTimeoutError(Exception):
    pass


class Pool:
    def __init__(self, size: int) -> None:
        self._queue: asyncio.LifoQueue = asyncio.LifoQueue(maxsize=size)

    async def acquire(self):
        holder = await self._queue.get()
        try:
            conn = await holder.acquire()
        except BaseException:
            # a cancelled acquire would otherwise shrink the pool for ever
            self._queue.put_nowait(holder)
            raise
        return conn
