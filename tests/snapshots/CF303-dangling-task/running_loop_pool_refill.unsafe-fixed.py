"""A connection pool refills itself in the background when a connection is dropped, with a
task of the running loop that nothing keeps."""

import asyncio

_background_tasks: set[object] = set()


class ConnectionPool:
    def __init__(self, connector, size: int) -> None:
        self._connector = connector
        self._size = size
        self._idle: list = []

    async def _refill(self) -> None:
        while len(self._idle) < self._size:
            self._idle.append(await self._connector.connect())

    async def discard(self, conn) -> None:
        await conn.close()
        task = asyncio.get_running_loop().create_task(self._refill())
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
