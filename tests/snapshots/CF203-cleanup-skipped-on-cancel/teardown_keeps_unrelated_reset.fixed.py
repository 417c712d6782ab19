class Client:
    def __init__(self, dial) -> None:
        self._dial = dial
        self._retries = None

    async def ping(self) -> bool:
        conn = await self._dial()
        try:
            pong = await conn.ping()
        finally:
            await conn.close()
        self._retries = None
        return pong
