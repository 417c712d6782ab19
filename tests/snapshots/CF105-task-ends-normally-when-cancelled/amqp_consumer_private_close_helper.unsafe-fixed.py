import asyncio
import logging

log = logging.getLogger(__name__)


class Consumer:
    def __init__(self, connect, queue_name: str):
        self._connect = connect
        self._queue_name = queue_name
        self._channel = None

    async def _close_channel(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def consume_one(self, handle) -> None:
        try:
            if self._channel is None:
                self._channel = await self._connect()
            message = await self._channel.get(self._queue_name)
            await handle(message.body)
            await message.ack()
        except asyncio.CancelledError:
            await self._close_channel()
            raise
        except BaseException:
            log.exception("consume from %s failed", self._queue_name)
            await self._close_channel()
