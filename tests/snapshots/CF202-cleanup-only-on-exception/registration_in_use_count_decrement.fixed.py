class BoundedPool:
    def __init__(self, connect, limit: int) -> None:
        self._connect = connect
        self._limit = limit
        self._in_use = 0

    async def checkout(self):
        if self._in_use >= self._limit:
            raise RuntimeError("pool exhausted")
        self._in_use += 1
        try:
            conn = await self._connect()
            await conn.execute("SET search_path TO app")
        except BaseException:
            self._in_use -= 1
            raise
        return conn
