# cancelfix: target-version=py311
"""A listener whose stop() logs why the listener task ended."""

import asyncio
import logging

_LOGGER = logging.getLogger(__name__)


class EventListener:
    def __init__(self, bus):
        self.bus = bus
        self._listen_task = None
        self._handlers = []

    async def async_stop(self):
        self._listen_task.cancel()
        task = self._listen_task
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError as err:
            _LOGGER.debug("listener stopped: %s", err)
            self._handlers.clear()
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
