"""Negative of the unsafe shapes that skip code after the `try`: the swallowing path goes
round the loop and then reaches the end of the coroutine, with nothing to skip. Safe."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def notify_subscribers(subscribers, event) -> None:
    for subscriber in subscribers:
        try:
            await subscriber.notify(event)
        except asyncio.CancelledError:
            log.warning("notifying %s cancelled, notifying the others", subscriber)
            raise
