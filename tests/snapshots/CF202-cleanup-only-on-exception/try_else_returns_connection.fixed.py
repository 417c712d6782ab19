import asyncio
import logging

import aiomysql

log = logging.getLogger(__name__)


class ReplicaPicker:
    def __init__(self, pools: list[aiomysql.Pool], max_lag: int = 5) -> None:
        self._pools = pools
        self._max_lag = max_lag

    async def checkout(self, index: int) -> aiomysql.Connection:
        pool = self._pools[index]
        conn = await pool.acquire()
        try:
            async with conn.cursor() as cur:
                await cur.execute("SELECT @@read_only")
                (read_only,) = await cur.fetchone()
        except BaseException:
            pool.release(conn)
            raise
        else:
            log.debug("replica %d read_only=%s", index, read_only)
            return conn
