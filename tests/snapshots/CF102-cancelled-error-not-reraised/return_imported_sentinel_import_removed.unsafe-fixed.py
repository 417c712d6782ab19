"""`return` of an imported sentinel becomes `raise`: the import, used nowhere else, goes."""

import asyncio


async def fetch(queue: asyncio.Queue[str]) -> str:
    try:
        return await queue.get()
    except asyncio.CancelledError:
        raise
