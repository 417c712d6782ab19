import asyncio
import logging

log = logging.getLogger(__name__)


class DeviceLink:
    def __init__(self, port: str, events: asyncio.Queue) -> None:
        self._port = port
        self._events = events
        self._transport = None

    async def open(self, open_serial) -> None:
        transport, protocol = await open_serial(self._port, baudrate=115200)
        try:
            await asyncio.wait_for(protocol.wait_for_prompt(), timeout=5)
        except BaseException as exc:
            transport.close()
            await self._events.put(("link-failed", self._port, repr(exc)))
            raise
        self._transport = transport
