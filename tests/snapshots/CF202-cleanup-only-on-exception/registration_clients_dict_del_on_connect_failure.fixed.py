class ClientRegistry:
    def __init__(self, factory) -> None:
        self._factory = factory
        self._clients: dict[str, object] = {}

    async def get(self, key: str, url: str):
        client = self._clients.get(key)
        if client is not None:
            return client
        client = self._factory(url)
        self._clients[key] = client
        try:
            await client.connect()
        except BaseException:
            del self._clients[key]
            raise
        return client
