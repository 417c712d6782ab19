import asyncio

async def query(pool, conn, sql):
    try:
        rows = await conn.fetch(sql)
        return rows
    except asyncio.CancelledError:
        conn.terminate()
        raise
    except Exception:
        raise
    finally:
        await pool.release(conn)
