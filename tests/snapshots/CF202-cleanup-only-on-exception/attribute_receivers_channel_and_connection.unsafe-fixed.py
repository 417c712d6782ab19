import asyncio
import logging

import aiormq

log = logging.getLogger(__name__)


class RpcClient:
    def __init__(self, url: str, queue: str) -> None:
        self._url = url
        self._queue = queue
        self._connection: aiormq.Connection | None = None
        self._channel: aiormq.Channel | None = None

    async def open(self) -> None:
        self._connection = await aiormq.connect(self._url)
        self._channel = await self._connection.channel()
        try:
            await self._channel.basic_qos(prefetch_count=10)
            await self._channel.queue_declare(self._queue, durable=True)
        except BaseException:
            log.error("could not declare %s on %s", self._queue, self._url)
            await self._channel.close()
            await self._connection.close()
            raise
