import asyncio
import logging

log = logging.getLogger(__name__)


class MetricsService:
    def __init__(self, sources, sink, interval: float = 10.0) -> None:
        self._sources = sources
        self._sink = sink
        self._interval = interval
        self._tasks: list[asyncio.Task] = []

    async def _collect(self, source) -> None:
        while True:
            await self._sink.write(source.name, await source.sample())
            await asyncio.sleep(self._interval)

    async def start(self) -> None:
        for source in self._sources:
            self._tasks.append(asyncio.create_task(self._collect(source)))

    async def shutdown(self) -> None:
        log.info("stopping %d collectors", len(self._tasks))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self._sink.flush()
