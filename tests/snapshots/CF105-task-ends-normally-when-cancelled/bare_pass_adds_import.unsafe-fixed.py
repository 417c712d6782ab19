import asyncio


async def f(conn):
    try:
        await conn.send()
    except asyncio.CancelledError:
        raise
    except BaseException:
        pass
