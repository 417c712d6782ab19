"""A close() that resets its state after stopping the reader: the original swallows a
cancellation of the caller while it waits and still resets; the fix would skip the reset, so
it is unsafe."""

import asyncio


class Client:
    def __init__(self):
        self._reader_task = None
        self._conn = None

    async def close(self):
        self._reader_task.cancel()
        task = self._reader_task
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
        self._reader_task = None
        self._conn.close()
