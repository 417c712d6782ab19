import asyncio
import logging

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


class MetricsBuffer:
    def __init__(self, client, limit: int = 500) -> None:
        self._client = client
        self._limit = limit
        self._points: list[tuple[str, float]] = []

    def record(self, name: str, value: float) -> None:
        self._points.append((name, value))
        if len(self._points) >= self._limit:
            task = asyncio.create_task(self._flush())
            task.add_done_callback(self._log_failure)
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)

    async def _flush(self) -> None:
        points, self._points = self._points, []
        await self._client.write(points)

    def _log_failure(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("flushing metrics failed", exc_info=task.exception())
