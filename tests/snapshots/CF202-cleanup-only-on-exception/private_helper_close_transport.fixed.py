import asyncio
import logging

log = logging.getLogger(__name__)


class ModbusClient:
    def __init__(self, host: str, port: int = 502, unit: int = 1) -> None:
        self._host = host
        self._port = port
        self._unit = unit
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _close_transport(self) -> None:
        if self._writer is not None:
            self._writer.close()
            await self._writer.wait_closed()
        self._reader = self._writer = None

    async def read_holding_registers(self, address: int, count: int) -> bytes:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        request = bytes([0, 1, 0, 0, 0, 6, self._unit, 3]) + address.to_bytes(2, "big")
        request += count.to_bytes(2, "big")
        try:
            self._writer.write(request)
            await self._writer.drain()
            header = await self._reader.readexactly(9)
            return await self._reader.readexactly(header[8])
        except BaseException:
            await self._close_transport()
            raise
