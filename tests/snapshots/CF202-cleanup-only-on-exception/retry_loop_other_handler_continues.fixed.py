import asyncio
import logging

import aioredis

log = logging.getLogger(__name__)


async def connect_with_retry(url: str, attempts: int = 5, delay: float = 0.5) -> aioredis.Redis:
    for attempt in range(1, attempts + 1):
        client = aioredis.from_url(url, socket_connect_timeout=2)
        try:
            await client.ping()
        except ConnectionError:
            log.warning("redis at %s not reachable (attempt %d/%d)", url, attempt, attempts)
            await client.close()
            await asyncio.sleep(delay * attempt)
            continue
        except BaseException:
            await client.close()
            raise
        return client
    raise ConnectionError(f"redis at {url} not reachable after {attempts} attempts")
