"""An SSH tunnel whose close() stops each relay task still running, one at a time."""

import asyncio
import logging

log = logging.getLogger(__name__)


class Tunnel:
    def __init__(self, connection) -> None:
        self._connection = connection
        self._relay_tasks: set[asyncio.Task[None]] = set()

    async def close(self) -> None:
        # Stop the relays
        cancelled = []
        for task in list(self._relay_tasks):
            if not task.done():
                task.cancel()
                cancelled.append(task)
        for task in cancelled:
            await asyncio.wait([task])
            if not task.cancelled():
                task.result()
        self._relay_tasks.clear()
        self._connection.close()
        log.debug("tunnel closed")
