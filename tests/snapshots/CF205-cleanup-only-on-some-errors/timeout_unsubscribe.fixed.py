import asyncio


class EventBus:
    def __init__(self, bus) -> None:
        self._bus = bus
        self._inbox: asyncio.Queue = asyncio.Queue()

    async def wait_for_event(self, topic: str, timeout: float) -> dict:
        await self._bus.subscribe(topic, self._inbox.put_nowait)
        try:
            event = await asyncio.wait_for(self._inbox.get(), timeout)
        except asyncio.TimeoutError:
            await self._bus.unsubscribe(topic)
            raise
        except asyncio.CancelledError:
            await self._bus.unsubscribe(topic)
            raise
        await self._bus.unsubscribe(topic)
        return event
