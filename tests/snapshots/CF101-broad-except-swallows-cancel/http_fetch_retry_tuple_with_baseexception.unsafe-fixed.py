import asyncio
import logging

import aiohttp

log = logging.getLogger(__name__)


async def fetch_json(session: aiohttp.ClientSession, url: str, retries: int = 3):
    for attempt in range(1, retries + 1):
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
                resp.raise_for_status()
                return await resp.json()
        except asyncio.CancelledError:
            raise
        except (BaseException, ValueError) as exc:
            log.warning("GET %s failed (attempt %d/%d): %s", url, attempt, retries, exc)
            if attempt < retries:
                await asyncio.sleep(2 ** attempt)
    return None
