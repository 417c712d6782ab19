import asyncio


async def with_progress(coro, report, every: float = 1.0):
    async def ticker() -> None:
        elapsed = 0.0
        while True:
            await asyncio.sleep(every)
            elapsed += every
            report(elapsed)

    progress = asyncio.create_task(ticker())
    try:
        return await coro
    finally:
        progress.cancel()
        await asyncio.wait([progress])
        if not progress.cancelled():
            progress.result()
