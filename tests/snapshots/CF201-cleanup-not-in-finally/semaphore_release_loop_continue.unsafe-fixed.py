import asyncio
import logging

import aiohttp

log = logging.getLogger(__name__)


async def crawl(session: aiohttp.ClientSession, urls: list[str], limit: int = 8) -> dict[str, int]:
    sizes: dict[str, int] = {}
    slots = asyncio.Semaphore(limit)
    for url in urls:
        await slots.acquire()
        try:
            async with session.get(url) as response:
                body = await response.read()
            sizes[url] = len(body)
        except aiohttp.ClientError as exc:
            log.info("skipping %s: %s", url, exc)
            continue
        finally:
            slots.release()
        log.debug("fetched %s (%d bytes)", url, sizes[url])
    return sizes
