import asyncio
import logging
import uuid

from redis.asyncio import Redis

log = logging.getLogger(__name__)


class LeaseHeld(Exception):
    pass


class LeaderLease:
    def __init__(self, redis: Redis, key: str, ttl: int = 30) -> None:
        self._redis = redis
        self._key = key
        self._ttl = ttl
        self._token = uuid.uuid4().hex
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        await self._lock.acquire()
        try:
            acquired = await self._redis.set(self._key, self._token, ex=self._ttl, nx=True)
            if not acquired:
                raise LeaseHeld(self._key)
        except BaseException:
            self._lock.release()
            raise
        log.info("holding lease %s", self._key)

    async def release(self) -> None:
        try:
            await self._redis.delete(self._key)
        finally:
            self._lock.release()
