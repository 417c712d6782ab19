import asyncio


class PoolTimeout(Exception):
    pass


class ConnectionPool:
    def __init__(self, size: int, connect) -> None:
        self._connect = connect
        self._holders: asyncio.Queue = asyncio.Queue()
        for _ in range(size):
            self._holders.put_nowait(None)

    async def acquire(self, timeout: float):
        holder = await self._holders.get()
        try:
            return await asyncio.wait_for(self._connect(), timeout)
        except asyncio.TimeoutError:
            self._holders.put_nowait(holder)
            raise PoolTimeout(f"no connection within {timeout}s") from None
        except asyncio.CancelledError:
            self._holders.put_nowait(holder)
            raise
