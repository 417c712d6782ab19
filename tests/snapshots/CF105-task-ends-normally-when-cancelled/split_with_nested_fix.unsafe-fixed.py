"""The tuple handler holds a nested swallowing handler: both are fixed, and the split clause
is built from the handler as the nested fix left it."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def relay(conn, payload: bytes) -> None:
    try:
        await conn.send(payload)
    except (asyncio.CancelledError, OSError):
        try:
            await conn.close()
        except asyncio.CancelledError:
            raise
        log.info("relay to %s stopped", conn.peer)
