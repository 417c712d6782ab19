import asyncio
import logging

log = logging.getLogger(__name__)


async def drain_forever(queue: asyncio.Queue) -> None:
    """Runs for the life of the process; cancellation is ignored on purpose."""
    while True:
        try:
            item = await queue.get()
        except asyncio.CancelledError:  # noqa: CF102
            log.warning("ignoring cancellation of the drain task")
            continue
        log.debug("dropped %r", item)
