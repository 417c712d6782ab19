import asyncio
import logging

from .broker import BrokerClient, BrokerUnavailable

log = logging.getLogger(__name__)


class EventShipper:
    def __init__(self, url: str) -> None:
        self._url = url
        self._broker = BrokerClient(url)

    async def ship(self, events: list[bytes]) -> None:
        await self._broker.connect()
        try:
            for event in events:
                await self._broker.publish("events", event)
            await self._broker.flush()
            await self._broker.close()
        except BrokerUnavailable:
            log.warning("broker %s went away with %d events unsent", self._url, len(events))
            await self._broker.close(force=True)
            raise
        except asyncio.CancelledError:
            await self._broker.close(force=True)
            raise
