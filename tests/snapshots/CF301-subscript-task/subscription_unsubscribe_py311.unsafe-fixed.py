# cancelfix: target-version=py311
"""A pub/sub client keeps one listener task per topic."""

import asyncio


class PubSub:
    def __init__(self, connection) -> None:
        self._connection = connection
        self._listeners: dict[str, asyncio.Task[None]] = {}

    async def unsubscribe(self, topic: str) -> None:
        self._listeners[topic].cancel()
        task = self._listeners[topic]
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError:
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
        await self._connection.send(f"UNSUBSCRIBE {topic}")
        del self._listeners[topic]
