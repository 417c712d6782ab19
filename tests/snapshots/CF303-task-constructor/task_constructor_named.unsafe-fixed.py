"""A named flush task started by a cache on eviction."""

import asyncio

_background_tasks: set[object] = set()


class WriteBackCache:
    def __init__(self, store) -> None:
        self._store = store
        self._dirty: dict[str, bytes] = {}

    def evict(self, key: str) -> None:
        value = self._dirty.pop(key)
        task = asyncio.tasks.Task(self._store.put(key, value), name=f"flush-{key}")
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
