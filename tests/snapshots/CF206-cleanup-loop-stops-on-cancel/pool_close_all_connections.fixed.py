import asyncio
import logging

log = logging.getLogger(__name__)


class Pool:
    def __init__(self) -> None:
        self._connections: list = []

    async def close(self) -> None:
        cancelled = None
        for conn in list(self._connections):
            try:
                await conn.close()
            except Exception:
                log.warning("closing %r failed", conn, exc_info=True)
            except asyncio.CancelledError as cancel_error:
                cancelled = cancel_error
        if cancelled is not None:
            raise cancelled
        self._connections.clear()
