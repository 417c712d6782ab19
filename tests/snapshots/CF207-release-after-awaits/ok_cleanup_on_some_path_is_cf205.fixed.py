import asyncio


class Proxy:
    def __init__(self, upstream) -> None:
        self._upstream = upstream

    async def stop(self) -> None:
        try:
            await self._upstream.drain()
        except ConnectionError:
            self._upstream.close()
            raise
        except asyncio.CancelledError:
            self._upstream.close()
            raise
        self._upstream.close()
