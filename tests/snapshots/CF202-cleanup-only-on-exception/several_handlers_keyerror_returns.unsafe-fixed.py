import asyncio
import logging
import time

log = logging.getLogger(__name__)


class PresenceTracker:
    def __init__(self, hub) -> None:
        self._hub = hub
        self._connections: dict[str, object] = {}

    async def refresh(self, user_id: str) -> float | None:
        started = time.monotonic()
        try:
            conn = self._connections[user_id]
            await asyncio.wait_for(conn.ping(), timeout=3)
        except KeyError:
            return None
        except BaseException:
            log.warning("ping to %s failed, dropping the connection", user_id)
            await self._hub.disconnect(user_id)
            raise
        return time.monotonic() - started
