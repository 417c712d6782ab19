import asyncio
import logging

log = logging.getLogger(__name__)


class BatchUploader:
    def __init__(self, client):
        self._client = client
        self._lock = asyncio.Lock()
        self.failed = []

    async def upload(self, batch) -> None:
        try:
            async with self._lock:
                try:
                    await self._client.push(batch.items)
                except BaseException:
                    log.warning("push of batch %s failed, reconnecting", batch.id)
                    await self._client.disconnect()
                    await self._client.connect()
                    await self._client.push(batch.items)
                await self._client.flush()
        except asyncio.CancelledError:
            raise
        except:
            log.exception("batch %s dropped", batch.id)
            self.failed.append(batch)
