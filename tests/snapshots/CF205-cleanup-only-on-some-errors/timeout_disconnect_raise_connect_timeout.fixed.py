import asyncio


class ConnectTimeout(Exception):
    pass


class MqttClient:
    def __init__(self, transport) -> None:
        self._transport = transport

    async def disconnect(self) -> None:
        await self._transport.close()

    async def connect(self, timeout: float) -> None:
        await self._transport.open()
        try:
            async with asyncio.timeout(timeout):
                await self._transport.send(b"CONNECT")
                await self._transport.expect(b"CONNACK")
        except TimeoutError as exc:
            await self.disconnect()
            raise ConnectTimeout(f"no CONNACK within {timeout}s") from exc
        except asyncio.CancelledError:
            await self.disconnect()
            raise
