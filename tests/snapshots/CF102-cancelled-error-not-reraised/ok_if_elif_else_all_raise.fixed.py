import asyncio
import logging

log = logging.getLogger(__name__)


class Consumer:
    def __init__(self, channel) -> None:
        self.channel = channel
        self.inflight: set[int] = set()
        self.closing = False

    async def consume(self) -> None:
        try:
            async for delivery in self.channel:
                self.inflight.add(delivery.tag)
                await self.process(delivery)
                self.inflight.discard(delivery.tag)
        except asyncio.CancelledError:
            if self.closing:
                log.debug("consumer closed")
                raise
            elif self.inflight:
                log.warning("cancelled with %d unacked deliveries", len(self.inflight))
                await asyncio.shield(self.channel.nack(sorted(self.inflight)))
                raise
            else:
                raise

    async def process(self, delivery) -> None:
        await delivery.ack()
