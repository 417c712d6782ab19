import logging

import aio_pika

log = logging.getLogger(__name__)


class InvoicePublisher:
    def __init__(self, connection: aio_pika.abc.AbstractRobustConnection) -> None:
        self._connection = connection
        self._channel: aio_pika.abc.AbstractChannel | None = None

    async def _close_channel(self) -> None:
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()
        self._channel = None

    async def publish_all(self, invoices: list[bytes], routing_key: str) -> None:
        self._channel = await self._connection.channel()
        try:
            exchange = await self._channel.declare_exchange("invoices", aio_pika.ExchangeType.TOPIC)
            for body in invoices:
                await exchange.publish(aio_pika.Message(body=body), routing_key=routing_key)
        except aio_pika.exceptions.AMQPError:
            log.exception("publishing %d invoices failed", len(invoices))
            raise
        finally:
            await self._close_channel()
