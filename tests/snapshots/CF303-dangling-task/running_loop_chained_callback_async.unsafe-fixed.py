"""A metrics client flushes in a task of the running loop with a done callback chained on
it: the task keeps its callback, nothing keeps the task."""

import asyncio
import logging

_background_tasks: set[object] = set()

logger = logging.getLogger(__name__)


class MetricsClient:
    def __init__(self, transport, max_batch: int = 100) -> None:
        self._transport = transport
        self._max_batch = max_batch
        self._buffer: list[bytes] = []

    def _flushed(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.warning("metrics flush failed: %s", task.exception())

    async def _flush(self, batch: list[bytes]) -> None:
        await self._transport.send(b"\n".join(batch))

    async def record(self, line: bytes) -> None:
        self._buffer.append(line)
        if len(self._buffer) >= self._max_batch:
            batch, self._buffer = self._buffer, []
            task = asyncio.get_running_loop().create_task(self._flush(batch))
            task.add_done_callback(
                self._flushed
            )
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
