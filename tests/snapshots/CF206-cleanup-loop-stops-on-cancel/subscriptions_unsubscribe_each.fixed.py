from asyncio import CancelledError


class Client:
    def __init__(self, transport) -> None:
        self._transport = transport
        self._subscriptions: dict[str, object] = {}

    async def disconnect(self) -> None:
        cancelled = None
        for topic in list(self._subscriptions):
            try:
                await self._transport.unsubscribe(topic)
            except ConnectionError:
                pass
            except CancelledError as cancel_error:
                cancelled = cancel_error
        if cancelled is not None:
            raise cancelled
        try:
            await self._transport.close()
        except CancelledError:
            raise
