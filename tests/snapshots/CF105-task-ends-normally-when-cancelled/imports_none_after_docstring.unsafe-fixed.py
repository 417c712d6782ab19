"""A module without imports: `import asyncio` goes after the docstring."""

import asyncio


async def send(conn):
    try:
        await conn.send(b"ping")
    except asyncio.CancelledError:
        conn.failures += 1
        raise
    except BaseException:
        conn.failures += 1
