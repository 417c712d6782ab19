import asyncio
import logging

log = logging.getLogger(__name__)


class HealthMonitor:
    def __init__(self, endpoints, interval: float = 15.0) -> None:
        self.endpoints = endpoints
        self.interval = interval
        self.probes: list[asyncio.Task] = []
        self.status: dict[str, bool] = {}

    async def _probe(self, endpoint) -> None:
        while True:
            self.status[endpoint.name] = await endpoint.is_healthy()
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self.probes = [asyncio.create_task(self._probe(e)) for e in self.endpoints]

    async def stop(self) -> None:
        probes, self.probes = self.probes, []
        for probe in probes:
            probe.cancel()
        if probes:
            await asyncio.gather(*probes, return_exceptions=True)
            log.info("stopped %d health probes", len(probes))
