import asyncio


class Broker:
    def __init__(self, link) -> None:
        self._link = link
        self._subscribers: set[asyncio.Queue] = set()

    async def subscribe(self, topic: str) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self._subscribers.add(queue)
        try:
            await self._link.send({"op": "subscribe", "topic": topic})
            await self._link.wait_ack(topic)
        except BaseException:
            self._subscribers.discard(queue)
            raise
        return queue
