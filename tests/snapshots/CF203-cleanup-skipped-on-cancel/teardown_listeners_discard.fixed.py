import asyncio


class Feed:
    def __init__(self, source) -> None:
        self._source = source
        self._listeners: set[asyncio.Queue] = set()

    async def first(self) -> object:
        queue: asyncio.Queue = asyncio.Queue()
        stream = await self._source.open()
        try:
            self._listeners.add(queue)
            item = await stream.next()
        finally:
            await stream.aclose()
            self._listeners.discard(queue)
        return item
