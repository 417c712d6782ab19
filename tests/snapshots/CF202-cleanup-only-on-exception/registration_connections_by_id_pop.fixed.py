import itertools


class Hub:
    def __init__(self, dial) -> None:
        self._dial = dial
        self._ids = itertools.count()
        self._connections: dict[int, object] = {}

    async def attach(self, address: str) -> int:
        conn_id = next(self._ids)
        conn = await self._dial(address)
        self._connections[conn_id] = conn
        try:
            await conn.hello()
            await conn.negotiate()
        except BaseException:
            self._connections.pop(conn_id, None)
            raise
        return conn_id
