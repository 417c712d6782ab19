"""A batch worker that hands back what it read so far when it is cancelled: the swallowing
path goes on to `return results` after the `try`. A `raise` appended to the handler skips it,
and a caller that awaited the partial batch gets a CancelledError instead: unsafe."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def read_batch(source, size: int) -> list[bytes]:
    results: list[bytes] = []
    try:
        while len(results) < size:
            results.append(await source.read())
    except asyncio.CancelledError:
        log.info("batch cut short at %d of %d", len(results), size)
        raise
    return results
