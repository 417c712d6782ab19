import asyncio


class Connection:
    async def send_packed_command(self, command: bytes) -> None: ...

    async def read_response(self) -> object: ...

    async def disconnect(self, nowait: bool = False) -> None: ...


class Redis:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    async def execute_command(self, *args: bytes) -> object:
        conn = self.connection
        await conn.send_packed_command(b" ".join(args))
        try:
            return await conn.read_response()
        except asyncio.CancelledError:
            # the reply is still on the wire; the next caller would read it
            await conn.disconnect(nowait=True)
            raise
        except Exception:
            await conn.disconnect(nowait=True)
            raise
