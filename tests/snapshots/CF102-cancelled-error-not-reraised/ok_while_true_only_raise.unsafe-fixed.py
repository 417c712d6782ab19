import asyncio
import logging

log = logging.getLogger(__name__)


class Publisher:
    def __init__(self, broker) -> None:
        self.broker = broker
        self.outbox: list[bytes] = []

    async def publish_forever(self, source: asyncio.Queue) -> None:
        try:
            while True:
                message = await source.get()
                self.outbox.append(message)
                await self.broker.publish(message)
                self.outbox.remove(message)
        except asyncio.CancelledError:
            attempts = 0
            while True:
                attempts += 1
                if not self.outbox:
                    raise
                if attempts > 3:
                    log.warning("dropping %d unpublished messages", len(self.outbox))
                    raise
                try:
                    await self.broker.publish(self.outbox[0])
                except OSError:
                    await asyncio.sleep(0.1)
                else:
                    self.outbox.pop(0)
