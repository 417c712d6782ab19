"""`range(0)` never runs: the handler falls through and swallows the cancellation."""

import asyncio


async def notify(conn) -> bool:
    try:
        await conn.drain()
    except asyncio.CancelledError:
        for _ in range(0):
            raise
        raise
    return True
