"""Nothing says `self._call` is an asyncio Task or Future (a gRPC call has `cancel()` too);
from Python 3.11 `asyncio.wait()` accepts nothing else, so the fix below 3.11 is unsafe."""

import asyncio


class Streamer:
    async def stop(self):
        self._call.cancel()
        task = self._call
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
