import asyncio
import logging

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

log = logging.getLogger(__name__)


class SubscriptionFailed(Exception):
    pass


async def subscribe(redis: Redis, channel: str, timeout: float = 2.0) -> PubSub:
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    try:
        message = await pubsub.get_message(timeout=timeout)
        if message is None or message["type"] != "subscribe":
            raise SubscriptionFailed(channel)
    except BaseException:
        await pubsub.unsubscribe(channel)
        raise
    log.debug("subscribed to %s", channel)
    return pubsub
