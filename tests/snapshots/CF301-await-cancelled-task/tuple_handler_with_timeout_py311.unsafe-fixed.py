# cancelfix: target-version=py311
"""A stream consumer that may also have timed out on its own."""

import asyncio


class StreamConsumer:
    def __init__(self, stream):
        self.stream = stream
        self.consumer = asyncio.create_task(self._consume())

    async def _consume(self):
        async with asyncio.timeout(300):
            async for event in self.stream:
                await event.ack()

    async def aclose(self):
        self.consumer.cancel()
        task = self.consumer
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError:
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
        except (asyncio.CancelledError, asyncio.TimeoutError):
            pass
        except Exception:  # the consumer's own failure is reported elsewhere
            pass
        await self.stream.aclose()
