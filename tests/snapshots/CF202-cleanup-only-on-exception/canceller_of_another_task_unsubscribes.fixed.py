import asyncio


class Feeds:
    def __init__(self, api) -> None:
        self._api = api
        self._prices = asyncio.create_task(self._follow_prices())
        self._heartbeat = asyncio.create_task(self._beat())

    async def stop_heartbeat(self) -> None:
        self._heartbeat.cancel()
        await self._api.unsubscribe("prices")

    async def _beat(self) -> None:
        while True:
            await self._api.ping()
            await asyncio.sleep(15)

    async def _follow_prices(self) -> None:
        await self._api.subscribe("prices")
        try:
            async for tick in self._api.ticks("prices"):
                print(tick)
        except BaseException:
            await self._api.unsubscribe("prices")
            raise
