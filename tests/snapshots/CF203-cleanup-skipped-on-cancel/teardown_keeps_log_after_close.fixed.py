import logging

log = logging.getLogger(__name__)


async def backup(pool, table: str) -> int:
    conn = await pool.acquire()
    try:
        rows = await conn.fetch(f"SELECT * FROM {table}")
    finally:
        await pool.release(conn)
    log.info("backed up %d rows of %s", len(rows), table)
    return len(rows)
