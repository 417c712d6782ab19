import asyncio
import logging

import asyncpg

log = logging.getLogger(__name__)


class TenantPool:
    def __init__(self, pool: asyncpg.Pool, schema: str) -> None:
        self._pool = pool
        self._schema = schema

    async def checkout(self) -> asyncpg.Connection:
        conn = await self._pool.acquire()
        try:
            await conn.execute(f'SET search_path TO "{self._schema}", public')
            await conn.execute("SET statement_timeout = 30000")
        except BaseException:
            await self._pool.release(conn)
            raise
        log.debug("checked out connection for schema %s", self._schema)
        return conn

    async def checkin(self, conn: asyncpg.Connection) -> None:
        try:
            await conn.execute("RESET ALL")
        finally:
            await self._pool.release(conn)
