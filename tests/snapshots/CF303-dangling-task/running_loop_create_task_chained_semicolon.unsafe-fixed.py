import asyncio

_background_tasks: set[object] = set()


class Heartbeat:
    def __init__(self, ws, interval: float) -> None:
        self._ws = ws
        self._interval = interval
        self.missed = 0

    def on_timer(self) -> None:
        self.missed += 1; task = asyncio.get_running_loop().create_task(self._ws.ping()); task.add_done_callback(self._pong); _background_tasks.add(task); task.add_done_callback(_background_tasks.discard)

    def _pong(self, task: "asyncio.Task[None]") -> None:
        if not task.cancelled() and task.exception() is None:
            self.missed = 0
