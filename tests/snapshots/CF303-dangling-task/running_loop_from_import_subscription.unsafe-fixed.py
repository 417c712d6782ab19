"""`from asyncio import get_running_loop`: a subscription manager dispatches each message in
a task of the running loop and drops it."""

from asyncio import get_running_loop

_background_tasks: set[object] = set()


class SubscriptionManager:
    def __init__(self, connection) -> None:
        self._connection = connection
        self._handlers: dict = {}

    async def _dispatch(self, topic: str, payload: bytes) -> None:
        for handler in self._handlers.get(topic, ()):
            await handler(payload)

    async def pump(self) -> None:
        while True:
            topic, payload = await self._connection.next_message()
            task = get_running_loop().create_task(self._dispatch(topic, payload))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
