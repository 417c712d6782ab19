import json
import logging

log = logging.getLogger(__name__)


class PriceWatcher:
    def __init__(self, bus, venue: str, symbols: list[str]):
        self._bus = bus
        self._venue = venue
        self._symbols = symbols
        self._sub = None
        self.last_prices: dict[str, float] = {}

    async def snapshot(self, timeout: float = 5.0) -> dict[str, float]:
        self._sub = await self._bus.subscribe(f"prices.{self._venue}.*")
        try:
            await self._bus.publish("prices.replay", json.dumps({"venue": self._venue}).encode())
            pending = set(self._symbols)
            while pending:
                msg = await self._sub.next_msg(timeout=timeout)
                quote = json.loads(msg.data)
                self.last_prices[quote["symbol"]] = quote["price"]
                pending.discard(quote["symbol"])
        finally:
            await self._sub.unsubscribe()
            self._sub = None
        log.debug("snapshot of %d prices on %s", len(self.last_prices), self._venue)
        return dict(self.last_prices)
