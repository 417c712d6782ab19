import json
import logging

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractRobustConnection

log = logging.getLogger(__name__)


class InvoicePublisher:
    def __init__(self, connection: AbstractRobustConnection, exchange_name: str = "billing"):
        self._connection = connection
        self._exchange_name = exchange_name

    async def _close_channel(self, channel: AbstractChannel) -> None:
        if not channel.is_closed:
            await channel.close()

    async def publish_all(self, invoices: list[dict]) -> None:
        channel = await self._connection.channel(publisher_confirms=True)
        try:
            exchange = await channel.declare_exchange(
                self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
            for invoice in invoices:
                message = aio_pika.Message(
                    body=json.dumps(invoice).encode(), content_type="application/json"
                )
                await exchange.publish(message, routing_key=f"invoice.{invoice['region']}")
        finally:
            await self._close_channel(channel)
        log.info("published %d invoices", len(invoices))
