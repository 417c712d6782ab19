import asyncio
import logging

import aio_pika

log = logging.getLogger(__name__)


class Publisher:
    def __init__(self, url: str, exchange_name: str) -> None:
        self._url = url
        self._exchange_name = exchange_name
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None

    async def start(self, *, verbose: bool = False) -> None:
        self._connection = await aio_pika.connect_robust(self._url)
        try:
            channel = await self._connection.channel(publisher_confirms=True)
            self._exchange = await channel.declare_exchange(
                self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
        except BaseException as exc:
            if verbose:
                log.exception("declaring exchange %s failed", self._exchange_name)
                await self._connection.close()
                raise
            else:
                log.warning("declaring exchange %s failed: %s", self._exchange_name, exc)
                await self._connection.close()
                raise exc
