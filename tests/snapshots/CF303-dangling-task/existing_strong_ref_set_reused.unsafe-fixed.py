import asyncio
import logging

log = logging.getLogger(__name__)

_PENDING: set[asyncio.Task] = set()


def spawn(coro) -> asyncio.Task:
    task = asyncio.create_task(coro)
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)
    return task


class MetricsReporter:
    def __init__(self, client) -> None:
        self._client = client

    async def report(self, name: str, value: float) -> None:
        spawn(self._client.gauge(name, value))

    async def flush(self, batch: dict[str, float]) -> None:
        task = asyncio.create_task(self._client.send_batch(batch))
        _PENDING.add(task)
        task.add_done_callback(_PENDING.discard)
        log.debug("flushing %d metrics", len(batch))
