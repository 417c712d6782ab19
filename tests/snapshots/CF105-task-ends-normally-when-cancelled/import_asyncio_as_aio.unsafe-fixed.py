import asyncio as aio
import logging

log = logging.getLogger(__name__)


async def keepalive(conn, every: float = 30.0) -> None:
    """Ping the database connection so the pooler does not drop it."""
    while not conn.is_closed():
        try:
            await aio.sleep(every)
            await conn.execute("SELECT 1")
        except aio.CancelledError:
            log.debug("keepalive stopped")
            raise
        except Exception:
            log.exception("keepalive ping failed")
