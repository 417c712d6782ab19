"""The loop goes on after the swallowed cancellation: CF102's, not CF105's."""

import asyncio


async def worker(queue: asyncio.Queue, handle) -> None:
    while True:
        try:
            item = await queue.get()
        except asyncio.CancelledError:
            raise
        await handle(item)
