import asyncio

async def query(pool, conn, sql, stats):
    try:
        rows = await conn.fetch(sql)
        return rows
    finally:  # always count the attempt
        await pool.release(conn)
        stats.attempts += 1
        # trailing note inside finally
