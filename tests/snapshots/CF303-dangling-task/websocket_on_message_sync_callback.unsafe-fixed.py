import asyncio
import json
import logging

import websockets

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


class TickerClient:
    def __init__(self, url: str) -> None:
        self._url = url
        self._prices: dict[str, float] = {}

    async def run(self) -> None:
        async with websockets.connect(self._url) as ws:
            async for raw in ws:
                self.on_message(raw)

    def on_message(self, raw: str) -> None:
        message = json.loads(raw)
        if message.get("type") != "ticker":
            return
        task = asyncio.create_task(self.store(message["symbol"], float(message["price"])))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)

    async def store(self, symbol: str, price: float) -> None:
        await asyncio.sleep(0)
        self._prices[symbol] = price
        log.debug("%s -> %s", symbol, price)
