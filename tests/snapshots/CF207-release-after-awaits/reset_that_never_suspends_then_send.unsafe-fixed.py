class Batch:
    def __init__(self, pool, connection) -> None:
        self._pool = pool
        self._connection = connection
        self._commands: list[tuple[str, ...]] = []

    async def reset(self) -> None:
        self._commands = []

    async def discard(self) -> None:
        await self.reset()
        try:
            await self._connection.send_command("DISCARD")
        finally:
            await self._pool.release(self._connection)
