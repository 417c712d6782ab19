import asyncio

async def query(pool, conn, sql):
    try:
        rows = await conn.fetch(sql)
        return rows
    finally:
        # TODO: timeout=5 once pool supports it
        await pool.release(conn)
