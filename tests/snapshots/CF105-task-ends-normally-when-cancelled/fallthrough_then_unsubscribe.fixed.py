import asyncio
import json
import logging

log = logging.getLogger(__name__)


class EventListener:
    def __init__(self, redis, channel: str) -> None:
        self.redis = redis
        self.channel = channel

    async def listen(self, on_event) -> None:
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(self.channel)
        try:
            try:
                async for message in pubsub.listen():
                    if message["type"] == "message":
                        await on_event(json.loads(message["data"]))
            except asyncio.CancelledError:
                log.info("listener for %s cancelled", self.channel)
        finally:
            await pubsub.unsubscribe(self.channel)
            await pubsub.aclose()
