import asyncio


class TenantPool:
    def __init__(self, pool, schema: str) -> None:
        self._pool = pool
        self._schema = schema

    async def checkout(self):
        conn = await self._pool.acquire()
        try:
            await conn.execute(f'SET search_path TO "{self._schema}"')
        except asyncio.CancelledError:
            await self._pool.release(conn)
            raise
        except Exception:
            await self._pool.release(conn)
            raise
        return conn
