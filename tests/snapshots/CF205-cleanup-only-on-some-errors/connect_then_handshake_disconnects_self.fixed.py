import asyncio


class ProtocolError(Exception):
    pass


class Connection:
    def __init__(self, host: str, port: int, password: str | None) -> None:
        self.host = host
        self.port = port
        self.password = password
        self._reader = None
        self._writer = None

    async def _connect(self) -> None:
        import asyncio

        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def disconnect(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None

    async def _handshake(self) -> None:
        if self.password:
            self._writer.write(b"AUTH " + self.password.encode() + b"\r\n")
            await self._reader.readline()

    async def connect(self) -> None:
        await self._connect()
        try:
            await self._handshake()
        except (ProtocolError, OSError):
            await self.disconnect()  # a half-authenticated connection must not be reused
            raise
        except asyncio.CancelledError:
            await self.disconnect()  # a half-authenticated connection must not be reused
            raise
