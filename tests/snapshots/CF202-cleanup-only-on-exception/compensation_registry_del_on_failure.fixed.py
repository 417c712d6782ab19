class ClientRegistry:
    def __init__(self, factory) -> None:
        self._factory = factory
        self._clients = {}

    async def open(self, key: str):
        client = self._factory(key)
        self._clients[key] = client
        try:
            await client.connect()
            await client.authenticate()
        except BaseException:
            del self._clients[key]
            raise
        return client
