"""Stopping a recorder that reports how it ended."""

import asyncio
import logging

_LOGGER = logging.getLogger(__name__)


class Recorder:
    def __init__(self):
        self._writer_task = None
        self.flushed = False

    async def async_stop(self):
        self._writer_task.cancel()
        task = self._writer_task
        await asyncio.wait([task])
        try:
            task.result()
        except asyncio.CancelledError:
            _LOGGER.debug("writer cancelled")
        except Exception:
            _LOGGER.exception("writer failed while stopping")
        else:
            self.flushed = True
