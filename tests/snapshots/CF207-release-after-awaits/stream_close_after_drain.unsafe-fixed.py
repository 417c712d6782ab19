class LineClient:
    def __init__(self, reader, writer) -> None:
        self._reader = reader
        self._writer = writer

    async def close(self) -> None:
        self._writer.write(b"QUIT\r\n")
        try:
            await self._writer.drain()
        finally:
            self._writer.close()
            await self._writer.wait_closed()
