import logging

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

log = logging.getLogger(__name__)


async def drain_topic(bootstrap: str, topic: str, handle) -> int:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    handled = 0
    try:
        batches = await consumer.getmany(timeout_ms=2000)
        for messages in batches.values():
            for message in messages:
                await handle(message.value)
                handled += 1
            await consumer.commit()
        return handled
    except KafkaError:
        log.exception("draining %s stopped after %d messages", topic, handled)
        return handled
    finally:
        await consumer.stop()
