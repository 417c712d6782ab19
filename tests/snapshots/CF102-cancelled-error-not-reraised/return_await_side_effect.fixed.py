import asyncio
import logging

log = logging.getLogger(__name__)


class UploadSession:
    def __init__(self, client, upload_id: str) -> None:
        self.client = client
        self.upload_id = upload_id
        self.parts: list[dict] = []

    async def _abort(self) -> dict:
        return await self.client.delete(f"/uploads/{self.upload_id}")

    async def upload(self, chunks) -> dict:
        try:
            async for number, chunk in chunks:
                etag = await self.client.put_part(self.upload_id, number, chunk)
                self.parts.append({"PartNumber": number, "ETag": etag})
            return await self.client.complete(self.upload_id, self.parts)
        except asyncio.CancelledError:
            log.warning("upload %s cancelled, aborting", self.upload_id)
            return await self._abort()
