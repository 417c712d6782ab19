"""A connection pool warms a connection up in a named task it does not keep."""

import asyncio

_background_tasks: set[object] = set()


class ConnectionPool:
    def __init__(self, connector) -> None:
        self._connector = connector
        self._idle: list = []

    async def _warm(self) -> None:
        conn = await self._connector.connect()
        await conn.execute("SELECT 1")
        self._idle.append(conn)

    async def acquire(self):
        conn = self._idle.pop() if self._idle else await self._connector.connect()
        if not self._idle:
            task = asyncio.Task(self._warm(), name="pool-prewarm")
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
        return conn
