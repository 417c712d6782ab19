import asyncio
import logging

log = logging.getLogger(__name__)


async def prefetch(cache, keys: list[str], fetch, budget: float = 0.5) -> int:
    """Warm the cache for `keys` within `budget` seconds; return how many were loaded."""
    loads = [asyncio.create_task(fetch(key)) for key in keys]
    try:
        await asyncio.sleep(budget)
    finally:
        for load in loads:
            load.cancel()
        results = await asyncio.gather(*loads, return_exceptions=True)
    warmed = 0
    for key, value in zip(keys, results):
        if value is not None:
            cache[key] = value
            warmed += 1
    log.debug("prefetched %d of %d keys", warmed, len(keys))
    return warmed
