"""A broad handler that logs whatever ended the task (3.9 target: the handler is kept)."""

import asyncio
import logging

_LOGGER = logging.getLogger(__name__)


async def stop_forwarder(forwarder: asyncio.Task) -> None:
    forwarder.cancel()
    await asyncio.wait([forwarder])
    try:
        forwarder.result()
    except BaseException as exc:  # the forwarder may die of anything
        _LOGGER.debug("forwarder ended: %r", exc)
