import asyncio
import logging

log = logging.getLogger(__name__)


class ConnectionPool:
    def __init__(self, connect, size: int = 10, keepalive: float = 30.0) -> None:
        self._connect = connect
        self._size = size
        self._keepalive = keepalive
        self._idle: asyncio.Queue = asyncio.Queue()
        self._keepers: list[asyncio.Task] = []

    async def _keep_alive(self, conn) -> None:
        while True:
            await asyncio.sleep(self._keepalive)
            await conn.execute("SELECT 1")

    async def open(self) -> None:
        for _ in range(self._size):
            conn = await self._connect()
            self._idle.put_nowait(conn)
            self._keepers.append(asyncio.create_task(self._keep_alive(conn)))

    async def close(self) -> None:
        for keeper in self._keepers:
            keeper.cancel()
        await asyncio.gather(*self._keepers, return_exceptions=True)
        while not self._idle.empty():
            await self._idle.get_nowait().close()
        log.info("pool closed")
