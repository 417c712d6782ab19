import asyncio
import logging

log = logging.getLogger(__name__)


async def execute(pool, query: str, *args):
    conn = await pool.acquire()
    try:
        result = await conn.fetch(query, *args)
    except BaseException as exc:
        log.debug("query failed (%s), discarding connection", type(exc).__name__)
        await pool.release(conn, discard=True)
        raise exc
    await pool.release(conn)
    return result
