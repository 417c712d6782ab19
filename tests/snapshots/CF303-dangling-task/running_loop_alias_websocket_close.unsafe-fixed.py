"""`import asyncio as aio`: a websocket client tells its listeners it closed, in a task of the
running loop it does not keep."""

import asyncio as aio

_background_tasks: set[object] = set()


class WebSocketClient:
    def __init__(self, ws) -> None:
        self._ws = ws
        self._listeners: list = []

    async def _notify_closed(self, code: int) -> None:
        for listener in self._listeners:
            await listener.closed(code)

    async def close(self, code: int = 1000) -> None:
        await self._ws.close(code)
        task = aio.get_running_loop().create_task(self._notify_closed(code))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
