import asyncio
import logging

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


class DoorSensor:
    def __init__(self, notifier, camera) -> None:
        self._notifier = notifier
        self._camera = camera

    def on_change(self, opened: bool) -> None:
        if opened: task = asyncio.create_task(self._notifier.send("door opened")); _background_tasks.add(task); task.add_done_callback(_background_tasks.discard)
        log.info("door %s", "opened" if opened else "closed"); task = asyncio.create_task(self._camera.snapshot()); _background_tasks.add(task); task.add_done_callback(_background_tasks.discard)
