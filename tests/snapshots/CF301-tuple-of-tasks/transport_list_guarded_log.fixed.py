"""A serial transport cancels its reader and writer over a list if they still run, then waits
for the reader with a handler that logs: a cancellation of `close()` is logged and lost."""

import asyncio
import logging

_LOGGER = logging.getLogger(__name__)


class SerialTransport:
    def __init__(self, port) -> None:
        self._port = port
        self._reader: asyncio.Task[None] = asyncio.create_task(self._read())
        self._writer: asyncio.Task[None] = asyncio.create_task(self._write())

    async def _read(self) -> None:
        while True:
            await self._port.read_frame()

    async def _write(self) -> None:
        while True:
            await self._port.flush()

    async def close(self) -> None:
        for task in [self._reader, self._writer]:
            if not task.done():
                task.cancel()
        task_1 = self._reader
        await asyncio.wait([task_1])
        try:
            task_1.result()
        except asyncio.CancelledError:
            _LOGGER.debug("reader stopped")
