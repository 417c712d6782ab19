async def ping(pool) -> bool:
    conn = await pool.acquire()
    try:
        ok = await conn.fetchval("SELECT 1")
    finally:
        await pool.release(conn)
    return ok
