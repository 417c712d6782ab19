import asyncio
import time


class HeartbeatSender:
    def __init__(self, transport, interval: float = 15.0) -> None:
        self._transport = transport
        self._interval = interval
        self.last_sent = 0.0

    async def run(self) -> None:
        while self._transport.is_open:
            try:
                await asyncio.sleep(self._interval)
                await self._transport.send({"op": "heartbeat", "ts": time.time()})
                self.last_sent = time.monotonic()
            except asyncio.CancelledError:
                raise
            except ConnectionError:
                await asyncio.sleep(1)
