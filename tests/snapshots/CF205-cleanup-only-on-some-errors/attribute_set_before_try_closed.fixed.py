import asyncio


class HubTimeout(Exception):
    pass


class NotReady(Exception):
    pass


class HubData:
    def __init__(self, address: str, client_factory) -> None:
        self._address = address
        self._client_factory = client_factory
        self._client = None

    async def connect(self) -> None:
        self._client = self._client_factory(self._address, callbacks={})
        try:
            await self._client.connect()
        except (TimeoutError, HubTimeout) as err:
            await self._client.close()
            raise NotReady(f"hub {self._address} timed out") from err
        except asyncio.CancelledError:
            await self._client.close()
            raise
