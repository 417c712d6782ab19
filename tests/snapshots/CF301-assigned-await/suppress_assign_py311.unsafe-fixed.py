# cancelfix: target-version=py311
"""A metrics flusher's last batch, read under `suppress` after it is cancelled."""

import asyncio


class Flusher:
    def __init__(self, sink) -> None:
        self._sink = sink
        self._task: asyncio.Task[int] | None = None
        self.sent = 0

    async def close(self) -> int:
        sent = self.sent
        if self._task is not None:
            self._task.cancel()
            task = self._task
            cancelling = asyncio.current_task().cancelling()
            try:
                sent = await task
            except asyncio.CancelledError:
                if not task.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
        await self._sink.close()
        return sent
