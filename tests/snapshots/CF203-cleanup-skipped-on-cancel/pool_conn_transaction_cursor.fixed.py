import logging
from typing import TextIO

import asyncpg

log = logging.getLogger(__name__)


class UserExporter:
    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool

    async def export_users(self, out: TextIO) -> int:
        conn = await self._pool.acquire()
        try:
            count = 0
            async with conn.transaction(readonly=True):
                async for record in conn.cursor("SELECT id, email, created_at FROM users ORDER BY id"):
                    out.write(f"{record['id']},{record['email']},{record['created_at'].isoformat()}\n")
                    count += 1
        finally:
            await self._pool.release(conn)
        log.info("exported %d users", count)
        return count
