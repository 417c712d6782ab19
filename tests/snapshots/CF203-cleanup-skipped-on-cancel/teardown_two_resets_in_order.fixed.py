class Ticker:
    def __init__(self, bus) -> None:
        self._bus = bus
        self._sub = None
        self._active = False

    async def first_tick(self) -> bytes:
        self._sub = await self._bus.subscribe("ticks")
        try:
            self._active = True
            message = await self._sub.next_msg()
        finally:
            await self._sub.unsubscribe()
            self._sub = None
            self._active = False
        return message.data
