import asyncio
import logging

log = logging.getLogger(__name__)


async def listen(redis, channel: str, handle) -> None:
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    try:
        while True:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except BaseException:
                log.exception("listener on %s stopped", channel)
                break
            if message is not None:
                await handle(message["data"])
    finally:
        # Runs after the loop ends, including when the read above was cancelled.
        await pubsub.unsubscribe(channel)
        await pubsub.close()
