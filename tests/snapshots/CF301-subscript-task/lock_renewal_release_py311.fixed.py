# cancelfix: target-version=py311
"""A distributed lock manager renews each held lock in a task; releasing a lock deletes the
key, then stops its renewal and waits for it."""

import asyncio


class LockManager:
    def __init__(self, redis) -> None:
        self._redis = redis
        self._renewals: dict[str, asyncio.Task[None]] = {}

    async def _renew(self, resource: str, ttl: int) -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            await self._redis.expire(f"lock:{resource}", ttl)

    async def release(self, resource: str) -> None:
        await self._redis.delete(f"lock:{resource}")
        self._renewals[resource].cancel()
        task = self._renewals[resource]
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError:
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
