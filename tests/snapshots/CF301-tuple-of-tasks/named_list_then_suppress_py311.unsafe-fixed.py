# cancelfix: target-version=py311
"""A list of the client's loops is cancelled by name, then one loop is waited for."""

import asyncio


class MqttClient:
    def __init__(self, socket) -> None:
        self._socket = socket
        self._ping: asyncio.Task[None] | None = None
        self._pong: asyncio.Task[None] | None = None

    async def disconnect(self) -> None:
        loops = [self._ping, self._pong]
        for loop_task in loops:
            if loop_task is not None:
                loop_task.cancel()
        if self._ping is not None:
            task = self._ping
            cancelling = asyncio.current_task().cancelling()
            try:
                await task
            except asyncio.CancelledError:
                if not task.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
        await self._socket.close()
