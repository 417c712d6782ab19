async def give_back(pool, conn) -> None:
    try:
        await conn.execute("RESET ALL")
        await conn.execute("DISCARD TEMP")
    finally:
        await pool.release(conn)
    return
