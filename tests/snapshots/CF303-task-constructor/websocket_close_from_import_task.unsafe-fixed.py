"""`from asyncio import Task as AsyncTask`: a websocket client starts its reconnection from
the close handler and drops the task."""

from asyncio import Task as AsyncTask
from asyncio import sleep

_background_tasks: set[object] = set()


class ReconnectingSocket:
    def __init__(self, connect) -> None:
        self._connect = connect
        self._ws = None

    async def _reconnect(self) -> None:
        await sleep(1)
        self._ws = await self._connect()

    async def on_close(self, code: int) -> None:
        self._ws = None
        if code != 1000:
            task = AsyncTask(self._reconnect())
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
