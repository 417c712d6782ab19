"""Local tasks cancelled if still running, then waited for with a handler that logs."""

import asyncio
import logging

_LOGGER = logging.getLogger(__name__)


async def mirror(source, replica) -> None:
    reader = asyncio.create_task(source.stream())
    writer = asyncio.create_task(replica.apply_forever())
    await source.wait_closed()
    for task in (reader, writer):
        if not task.done():
            task.cancel()
    await asyncio.wait([writer])
    try:
        writer.result()
    except asyncio.CancelledError:
        _LOGGER.info("replica writer stopped")
