import asyncio


async def crawl(frontier: asyncio.Queue, fetch, concurrency: int = 8) -> int:
    fetchers = [asyncio.create_task(fetch(frontier)) for _ in range(concurrency)]
    if frontier.empty():
        return 0
    await frontier.join()
    for fetcher in fetchers:
        fetcher.cancel()
    await asyncio.gather(*fetchers, return_exceptions=True)
    return concurrency
