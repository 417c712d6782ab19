import asyncio


class ProtocolError(Exception):
    pass


class Device:
    def __init__(self, stream) -> None:
        self._stream = stream
        self._lock = asyncio.Lock()

    async def command(self, payload: bytes) -> bytes:
        await self._lock.acquire()
        try:
            await self._stream.write(payload)
            reply = await self._stream.read()
        except (OSError, ProtocolError):
            self._lock.release()
            raise
        except asyncio.CancelledError:
            self._lock.release()
            raise
        self._lock.release()
        return reply
