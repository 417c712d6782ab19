"""Logging the exception object does not deliver it anywhere: still swallowed."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def poll(client, results: list) -> None:
    while True:
        try:
            results.append(await client.poll())
        except asyncio.CancelledError as exc:
            log.warning("poll interrupted: %r", exc)
            raise
        await asyncio.sleep(1)
