class Fleet:
    def __init__(self, dial) -> None:
        self._dial = dial
        self._clients = {}

    async def sync_one(self, key: str) -> int:
        client = await self._dial(key)
        try:
            self._clients[key] = client
            count = await client.sync()
        finally:
            await client.close()
            del self._clients[key]
        return count
