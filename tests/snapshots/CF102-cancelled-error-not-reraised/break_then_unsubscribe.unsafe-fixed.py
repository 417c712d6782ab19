import asyncio
import json
import logging

log = logging.getLogger(__name__)


class ChannelListener:
    def __init__(self, redis, channel: str) -> None:
        self.redis = redis
        self.channel = channel
        self.pubsub = redis.pubsub()

    async def unsubscribe(self) -> None:
        await self.pubsub.unsubscribe(self.channel)
        await self.pubsub.aclose()

    async def listen(self, on_event) -> None:
        await self.pubsub.subscribe(self.channel)
        while True:
            try:
                message = await self.pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                log.info("listener for %s cancelled", self.channel)
                break
            if message is not None:
                await on_event(json.loads(message["data"]))
        await self.unsubscribe()
