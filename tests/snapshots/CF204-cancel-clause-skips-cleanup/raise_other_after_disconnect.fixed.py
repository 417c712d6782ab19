import asyncio


class ClientConnectionError(Exception):
    pass


class Client:
    def __init__(self, transport) -> None:
        self._transport = transport

    async def disconnect(self) -> None:
        await self._transport.close()

    async def connect(self) -> None:
        await self._transport.open()
        try:
            await self._transport.send(b"CONNECT")
            await self._transport.expect(b"CONNACK")
        except asyncio.CancelledError:
            await self.disconnect()
            raise
        except Exception as exc:
            await self.disconnect()
            raise ClientConnectionError("handshake failed") from exc
