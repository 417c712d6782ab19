import asyncio
import logging

log = logging.getLogger("metrics")


class MetricsFlusher:
    def __init__(self, client, period: float = 10.0) -> None:
        self.client = client
        self.period = period
        self.pending: list[dict] = []

    async def flush_forever(self) -> None:
        try:
            while True:
                await asyncio.sleep(self.period)
                batch, self.pending = self.pending, []
                if batch:
                    await self.client.post("/v1/metrics", json=batch)
        except asyncio.CancelledError:
            log.info("metrics flusher stopped with %d pending points", len(self.pending))
            self.pending.clear()
            raise
