"""The broad handler does work that is no cleanup word (it records the failed batch): the
inserted clause would skip it on cancellation, so the fix is unsafe."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def ship(batches: asyncio.Queue, client, failed: list) -> None:
    while True:
        batch = await batches.get()
        try:
            await client.send(batch)
        except asyncio.CancelledError:
            raise
        except BaseException:
            log.exception("send failed")
            failed.append(batch)
