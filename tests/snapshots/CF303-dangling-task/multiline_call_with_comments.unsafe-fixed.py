import asyncio
import logging

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


class UploadService:
    def __init__(self, storage, thumbnails) -> None:
        self._storage = storage
        self._thumbnails = thumbnails

    async def upload(self, name: str, data: bytes) -> str:
        url = await self._storage.put(name, data)
        # thumbnails are best effort: the upload is done once stored
        task = asyncio.create_task(
            self._thumbnails.render(url, sizes=(64, 256)),  # small and medium
            name=f"thumbnail-{name}",
        )
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
        return url
