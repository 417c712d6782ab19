import asyncio
import logging

log = logging.getLogger(__name__)


async def run_session(session, mode: str) -> None:
    try:
        await session.start()
        async for event in session.events():
            await session.dispatch(event)
    except asyncio.CancelledError:
        match mode:
            case "interactive":
                log.info("session closed by user")
                raise
            case "batch" | "cron":
                log.warning("batch session cancelled")
                session.mark_incomplete()
                raise
            case _:
                raise
