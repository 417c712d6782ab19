"""`import asyncio as aio`: a message channel stops its producer and consumer over a tuple and
gathers them; the first CancelledError skips closing the channel."""

import asyncio as aio


class MessageChannel:
    def __init__(self, channel) -> None:
        self._channel = channel
        self._producer = aio.create_task(self._produce())
        self._consumer = aio.create_task(self._consume())

    async def _produce(self) -> None:
        while True:
            await self._channel.publish(b"tick")
            await aio.sleep(1)

    async def _consume(self) -> None:
        async for message in self._channel:
            await message.ack()

    async def close(self) -> None:
        for task in (self._producer, self._consumer):
            task.cancel()
        await aio.gather(self._producer, self._consumer, return_exceptions=True)
        await self._channel.close()
