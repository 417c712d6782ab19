"""A pool's maintenance tasks cancelled over a tuple and gathered with an explicit
`return_exceptions=False`."""

import asyncio


class ConnectionPool:
    def __init__(self, connector) -> None:
        self._connector = connector
        self._filler = asyncio.create_task(self._fill())
        self._pinger = asyncio.create_task(self._ping())
        self._idle: list = []

    async def _fill(self) -> None:
        while True:
            self._idle.append(await self._connector.connect())
            await asyncio.sleep(5)

    async def _ping(self) -> None:
        while True:
            for conn in self._idle:
                await conn.ping()
            await asyncio.sleep(30)

    async def close(self) -> None:
        for task in (self._filler, self._pinger):
            task.cancel()
        await asyncio.gather(self._filler, self._pinger, return_exceptions=True)
        for conn in self._idle:
            await conn.close()
