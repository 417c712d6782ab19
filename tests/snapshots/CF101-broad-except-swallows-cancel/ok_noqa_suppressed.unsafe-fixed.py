import asyncio
import logging

log = logging.getLogger(__name__)


async def last_words(conn, reason: str) -> None:
    # Called from finally blocks during shutdown: it must never raise.
    try:
        await asyncio.wait_for(conn.send_close(reason), timeout=1)
    except asyncio.CancelledError:
        raise
    except BaseException:  # noqa: CF101 - best effort, swallowing is intended
        log.debug("could not send close frame to %s", conn)
