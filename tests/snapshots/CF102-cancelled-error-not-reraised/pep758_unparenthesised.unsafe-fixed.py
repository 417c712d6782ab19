import asyncio
import logging

log = logging.getLogger(__name__)


async def probe(host: str, port: int, attempts: int = 3) -> bool:
    """Return whether a TCP service answers within a second, retrying a few times."""
    for attempt in range(1, attempts + 1):
        try:
            async with asyncio.timeout(1.0):
                reader, writer = await asyncio.open_connection(host, port)
            writer.close()
            await writer.wait_closed()
            return True
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            log.debug("probe %d of %s:%d timed out", attempt, host, port)
        except OSError:
            await asyncio.sleep(0.5)
    return False
