import asyncio

import async_timeout


class PriceFeed:
    def __init__(self, client) -> None:
        self._client = client

    async def first_quote(self, symbol: str, timeout: float) -> float:
        subscription = await self._client.subscribe(f"quotes.{symbol}")
        try:
            async with async_timeout.timeout(timeout):
                message = await subscription.next_msg()
        except asyncio.TimeoutError:
            await subscription.unsubscribe()
            raise
        except asyncio.CancelledError:
            await subscription.unsubscribe()
            raise
        await subscription.unsubscribe()
        return float(message.data)
