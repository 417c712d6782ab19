async def fetch_rows(pool, sql: str):
    conn = await pool.acquire()
    try:
        rows = await conn.fetch(sql)
    finally:
        await pool.release(connection=conn)
    return rows
