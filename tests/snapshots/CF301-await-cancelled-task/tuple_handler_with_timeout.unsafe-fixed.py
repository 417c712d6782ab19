"""A stream consumer that may also have timed out on its own."""

import asyncio


class StreamConsumer:
    def __init__(self, stream):
        self.stream = stream
        self.consumer = asyncio.ensure_future(self._consume())

    async def _consume(self):
        async for event in self.stream:
            await event.ack()

    async def aclose(self):
        self.consumer.cancel()
        task = self.consumer
        await asyncio.wait([task])
        try:
            task.result()
        except (asyncio.CancelledError, asyncio.TimeoutError):
            pass
        await self.stream.aclose()
