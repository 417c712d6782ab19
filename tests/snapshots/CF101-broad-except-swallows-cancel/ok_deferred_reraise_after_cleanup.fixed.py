import asyncio
import logging

log = logging.getLogger(__name__)


async def run_session(session) -> None:
    cancelled = False
    try:
        await session.run()
    except BaseException as exc:
        cancelled = isinstance(exc, asyncio.CancelledError)
        log.info("session ended: %r", exc)
    # Cleanup must finish even when we were cancelled, so it runs here, shielded.
    await asyncio.shield(session.close())
    if cancelled:
        raise asyncio.CancelledError
