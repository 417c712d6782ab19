import asyncio
import logging

import aiohttp

log = logging.getLogger(__name__)


async def fetch_all(session: aiohttp.ClientSession, urls: list[str]) -> dict[str, bytes]:
    results: dict[str, bytes] = {}
    for url in urls:
        try:
            async with session.get(url) as response:
                response.raise_for_status()
                results[url] = await response.read()
        except (
            aiohttp.ClientError,
            asyncio.CancelledError,  # a slow mirror must not abort the batch
            asyncio.TimeoutError,
        ):
            log.warning("skipping %s", url)
    return results
