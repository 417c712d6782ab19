class PriceFeed:
    def __init__(self, bus) -> None:
        self._bus = bus
        self._sub = None
        self._pending: list = []

    async def stop(self) -> None:
        try:
            for quote in self._pending:
                await self._bus.publish("prices.final", quote)
        finally:
            await self._sub.unsubscribe()
            self._sub = None
