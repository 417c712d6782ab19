"""Two consumers cancelled one by one, then gathered through a list bound to them."""

import asyncio


async def drain(queue, handle) -> None:
    first = asyncio.create_task(handle(queue))
    second = asyncio.create_task(handle(queue))
    try:
        await queue.join()
        first.cancel()
    finally:
        second.cancel()
    consumers = [first, second]
    await asyncio.gather(*consumers)
