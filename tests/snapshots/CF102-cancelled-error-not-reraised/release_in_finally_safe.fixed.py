"""Negative of the unsafe shapes that skip code after the `try`: a request handler whose
response is returned inside the `try` and whose cleanup is already in the `finally`, which
runs on every path: the `raise` skips nothing the original ran. Safe."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def query(pool, sql: str):
    conn = await pool.acquire()
    try:
        rows = await conn.fetch(sql)
        return {"status": 200, "rows": rows}
    except asyncio.CancelledError:
        log.info("query cancelled: %s", sql)
        raise
    finally:
        await pool.release(conn)
