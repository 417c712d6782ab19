import asyncio


class Journal:
    def __init__(self, sink) -> None:
        self._sink = sink
        self._lock = asyncio.Lock()
        self._buffer: list[bytes] = []

    async def flush_locked(self) -> None:
        try:
            # the caller acquired self._lock
            await self._sink.write(b"".join(self._buffer))
            await self._sink.sync()
            self._buffer.clear()
        finally:
            self._lock.release()
