import asyncio
import logging
import time

log = logging.getLogger(__name__)


class RefreshingCache:
    def __init__(self, loader, ttl: float = 60.0):
        self._loader = loader
        self._ttl = ttl
        self._lock = asyncio.Lock()
        self._data = {}
        self._loaded_at = 0.0

    async def refresh(self) -> None:
        await self._lock.acquire()
        try:
            fresh = await self._loader()
            self._data = dict(fresh)
            self._loaded_at = time.monotonic()
            self._lock.release()
        except asyncio.CancelledError:
            self._lock.release()
            raise
        except BaseException:
            self._lock.release()
            log.exception("cache refresh failed, keeping %d stale entries", len(self._data))
