import asyncio
import json
import logging

from aiokafka import AIOKafkaProducer

log = logging.getLogger(__name__)


class EventPublisher:
    def __init__(self, bootstrap_servers: str, topic: str) -> None:
        self._bootstrap_servers = bootstrap_servers
        self._topic = topic
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap_servers,
            value_serializer=lambda value: json.dumps(value).encode(),
        )
        await producer.start()
        try:
            await producer.partitions_for(self._topic)
        except BaseException as err:
            log.error("topic %s is not available: %s", self._topic, err)
            await producer.stop()
            raise err
        self._producer = producer
