# cancelfix: target-version=py38
import asyncio
import logging

import aioredis

_background_tasks: "set[object]" = set()

log = logging.getLogger(__name__)


class CacheWarmer:
    def __init__(self, redis: aioredis.Redis, keys):
        self._redis = redis
        self._keys = keys

    def schedule(self):
        task = asyncio.ensure_future(self.warm())
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)

    async def warm(self):
        for key in self._keys:
            await self._redis.get(key)
        log.info("warmed %d keys", len(self._keys))
