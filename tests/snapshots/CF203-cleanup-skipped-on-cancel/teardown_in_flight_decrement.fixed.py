import asyncio


class Gate:
    def __init__(self, backend, limit: int) -> None:
        self._backend = backend
        self._slots = asyncio.Semaphore(limit)
        self._in_flight = 0

    async def forward(self, message: bytes) -> bytes:
        await self._slots.acquire()
        try:
            self._in_flight += 1
            result = await self._backend.send(message)
        finally:
            self._slots.release()
            self._in_flight -= 1
        return result
