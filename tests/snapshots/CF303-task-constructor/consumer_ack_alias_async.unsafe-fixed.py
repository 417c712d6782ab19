"""`import asyncio as aio`: a queue consumer acknowledges each message in a task it builds
with the constructor and forgets."""

import asyncio as aio

_background_tasks: set[object] = set()


class QueueConsumer:
    def __init__(self, channel, handler) -> None:
        self._channel = channel
        self._handler = handler

    async def _ack(self, message) -> None:
        await self._channel.basic_ack(message.delivery_tag)

    async def consume(self) -> None:
        while True:
            message = await self._channel.get()
            await self._handler(message.body)
            task = aio.Task(self._ack(message))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
