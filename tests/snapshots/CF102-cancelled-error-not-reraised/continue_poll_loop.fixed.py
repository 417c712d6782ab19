import asyncio
import logging

log = logging.getLogger(__name__)


async def poll_status(session, url: str, interval: float = 5.0) -> None:
    failures = 0
    while failures < 10:
        try:
            async with session.get(url) as response:
                status = await response.json()
        except asyncio.CancelledError:
            log.debug("poll of %s interrupted, retrying", url)
            continue
        except OSError:
            failures += 1
            await asyncio.sleep(interval * failures)
            continue
        failures = 0
        log.info("status of %s: %s", url, status.get("state"))
        await asyncio.sleep(interval)
