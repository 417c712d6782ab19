class Pipeline:
    def __init__(self, pool, connection) -> None:
        self.pool = pool
        self.connection = connection
        self.watching = False

    async def reset(self) -> None:
        try:
            if self.watching and self.connection:
                await self.connection.send_command("UNWATCH")
                await self.connection.read_response()
        finally:
            self.watching = False
            await self.pool.release(self.connection)
            self.connection = None
