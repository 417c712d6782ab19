import asyncio


class ModbusClient:
    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._transport = None

    def _abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()
            self._transport = None

    async def connect(self, protocol_factory) -> None:
        loop = asyncio.get_running_loop()
        self._transport, protocol = await loop.create_connection(
            protocol_factory, self._host, self._port
        )
        try:
            await protocol.wait_ready()
        except BaseException:
            self._abort()
            raise
