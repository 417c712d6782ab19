import asyncio


class SerialPort:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._busy = asyncio.Lock()

    async def transact(self, frame: bytes, timeout: float = 2.0) -> bytes:
        await self._busy.acquire()
        try:
            self._writer.write(frame)
            await self._writer.drain()
            async with asyncio.timeout(timeout):
                reply = await self._reader.readuntil(b"\r")
        except TimeoutError:
            self._busy.release()
            raise
        except asyncio.CancelledError:
            self._busy.release()
            raise
        self._busy.release()
        return reply
