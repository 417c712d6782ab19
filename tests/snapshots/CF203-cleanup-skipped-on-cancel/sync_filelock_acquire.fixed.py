import asyncio
import json
import logging
import os

from filelock import FileLock

log = logging.getLogger(__name__)


class SnapshotWriter:
    def __init__(self, directory: str, storage):
        self._directory = directory
        self._storage = storage
        self._lock = FileLock(os.path.join(directory, ".snapshot.lock"))

    async def write(self, name: str, state: dict) -> None:
        self._lock.acquire(timeout=10)
        try:
            data = await asyncio.to_thread(json.dumps, state, sort_keys=True)
            await self._storage.put(f"snapshots/{name}.json", data.encode())
        finally:
            self._lock.release()
        log.info("snapshot %s written (%d bytes)", name, len(data))
