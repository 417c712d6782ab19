"""A connection gathers its reader and writer after cancelling them over a tuple."""

import asyncio


class Connection:
    def __init__(self, stream) -> None:
        self._stream = stream
        self._reader = asyncio.create_task(stream.read_forever())
        self._writer = asyncio.create_task(stream.write_forever())

    async def close(self) -> None:
        for task in (self._reader, self._writer):
            task.cancel()
        await asyncio.gather(self._reader, self._writer, return_exceptions=True)
        self._stream.close()
