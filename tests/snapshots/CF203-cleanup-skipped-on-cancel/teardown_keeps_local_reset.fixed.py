import asyncpg


async def version(dsn: str) -> str:
    conn = await asyncpg.connect(dsn)
    try:
        row = await conn.fetchrow("SELECT version()")
    finally:
        await conn.close()
    conn = None
    return row[0]
