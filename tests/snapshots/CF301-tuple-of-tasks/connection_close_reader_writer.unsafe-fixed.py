"""A connection cancels its reader and writer in one loop over a tuple, then waits for each."""

import asyncio


class Connection:
    def __init__(self, stream) -> None:
        self._stream = stream
        self._reader = asyncio.create_task(self._read_loop())
        self._writer = asyncio.create_task(self._write_loop())

    async def _read_loop(self) -> None:
        while True:
            await self._stream.read()

    async def _write_loop(self) -> None:
        while True:
            await self._stream.drain()

    async def close(self) -> None:
        for task in (self._reader, self._writer):
            task.cancel()
        task_1 = self._reader
        await asyncio.wait([task_1])
        if not task_1.cancelled():
            task_1.result()
        task_1 = self._writer
        await asyncio.wait([task_1])
        if not task_1.cancelled():
            task_1.result()
        self._stream.close()
