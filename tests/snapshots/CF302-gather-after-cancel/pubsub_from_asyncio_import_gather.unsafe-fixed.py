import logging
from asyncio import Task, create_task, gather

log = logging.getLogger(__name__)


class Subscriber:
    def __init__(self, client, channels: list[str], on_message) -> None:
        self.client = client
        self.channels = channels
        self.on_message = on_message
        self.listeners: dict[str, Task] = {}

    async def _listen(self, channel: str) -> None:
        async for message in self.client.subscribe(channel):
            await self.on_message(channel, message)

    def start(self) -> None:
        for channel in self.channels:
            self.listeners[channel] = create_task(self._listen(channel))

    async def stop(self) -> None:
        for listener in self.listeners.values():
            listener.cancel()
        await gather(*self.listeners.values(), return_exceptions=True)
        log.info("unsubscribed from %s", ", ".join(self.channels))
        self.listeners.clear()
