# cancelfix: target-version=py311
"""A subscription stops its listener and keepalive over a tuple, then waits for each under
`suppress`; the coroutine ends there."""

import asyncio
from contextlib import suppress


class Subscription:
    def __init__(self, client, topic: str) -> None:
        self._client = client
        self._topic = topic
        self._listener = asyncio.create_task(self._listen())
        self._keepalive = asyncio.create_task(self._ping())

    async def _listen(self) -> None:
        async for message in self._client.messages(self._topic):
            await message.ack()

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(20)
            await self._client.ping()

    async def close(self) -> None:
        await self._client.unsubscribe(self._topic)
        for task in (self._listener, self._keepalive):
            task.cancel()
        with suppress(asyncio.CancelledError):
            await self._listener
        task_1 = self._keepalive
        cancelling = asyncio.current_task().cancelling()
        try:
            await task_1
        except asyncio.CancelledError:
            if not task_1.done() or asyncio.current_task().cancelling() > cancelling:
                raise
