class ConnectionPool:
    def __init__(self, factory) -> None:
        self._factory = factory
        self._all = set()

    async def _remove_from_pool(self, conn) -> None:
        self._all.discard(conn)

    async def new_connection(self):
        conn = await self._factory()
        self._all.add(conn)
        try:
            await conn.ping()
        except BaseException:
            await self._remove_from_pool(conn)
            raise
        return conn
