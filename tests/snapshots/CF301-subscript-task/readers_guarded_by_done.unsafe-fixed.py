"""A multiplexed connection drops one stream's reader, if it is still running."""

import asyncio


class Multiplexer:
    def __init__(self) -> None:
        self._readers: dict[int, asyncio.Task[None]] = {}

    async def close_stream(self, stream_id: int) -> None:
        if not self._readers[stream_id].done():
            self._readers[stream_id].cancel()
            task = self._readers[stream_id]
            await asyncio.wait([task])
            if not task.cancelled():
                task.result()
        self._readers.pop(stream_id)
