import logging
from asyncio import CancelledError, Queue

log = logging.getLogger(__name__)


async def pump_channel(redis, channel: str, out: Queue) -> None:
    pubsub = redis.pubsub()
    await pubsub.subscribe(channel)
    try:
        while True:
            try:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    await out.put(message["data"])
            except CancelledError:
                raise
            except BaseException:
                log.exception("bad message on %s", channel)
    except CancelledError:
        log.info("listener for %s stopped", channel)
        raise
    finally:
        await pubsub.unsubscribe(channel)
