"""The tuple handler sets a flag that the `finally` reads: the split-out cancellation clause
sets it too before re-raising."""

import asyncio
import logging

log = logging.getLogger(__name__)


class ConnectionClosed(Exception):
    pass


async def serve(ws, handle, registry) -> int:
    handled = 0
    cancelled = False
    try:
        while True:
            await handle(await ws.recv())
            handled += 1
    except asyncio.CancelledError:
        cancelled = True
        raise
    except ConnectionClosed:
        cancelled = True
        log.info("session over")
    finally:
        registry.forget(ws, reason="cancelled" if cancelled else "closed")
    return handled
