"""A lock manager releases a lease after its grace period in a task of the loop that
`get_event_loop()` returns, and forgets the task."""

import asyncio

_background_tasks: set[object] = set()


class LeaseManager:
    def __init__(self, store) -> None:
        self._store = store

    async def _release_after(self, key: str, grace: float) -> None:
        await asyncio.sleep(grace)
        await self._store.delete(f"lease:{key}")

    async def release(self, key: str, grace: float = 5.0) -> None:
        await self._store.set(f"lease:{key}:releasing", "1")
        task = asyncio.get_event_loop().create_task(self._release_after(key, grace))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
