"""A protocol client with a named loop per channel: the handler logs and carries on."""

import asyncio
import logging

_LOGGER = logging.getLogger(__name__)


class ChannelClient:
    def __init__(self, transport) -> None:
        self._transport = transport
        self._loops = {
            "ping": asyncio.create_task(self._ping()),
            "status": asyncio.create_task(self._poll_status()),
        }

    async def _ping(self) -> None:
        while True:
            await self._transport.write(b"PING\r\n")
            await asyncio.sleep(10)

    async def _poll_status(self) -> None:
        while True:
            await self._transport.write(b"STATUS\r\n")
            await asyncio.sleep(60)

    async def pause_ping(self) -> None:
        self._loops["ping"].cancel()
        task = self._loops["ping"]
        await asyncio.wait([task])
        try:
            task.result()
        except asyncio.CancelledError:
            _LOGGER.debug("ping loop stopped")
