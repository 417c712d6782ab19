import asyncio
import logging

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


class TaskRunner:
    def __init__(self, store) -> None:
        self._store = store

    async def on_task_created(self, task: dict) -> None:
        log.info("new task %s", task["id"])
        task_1 = asyncio.create_task(self._store.index(task))
        _background_tasks.add(task_1)
        task_1.add_done_callback(_background_tasks.discard)
        if task.get("due"):
            task_1 = asyncio.create_task(self._store.schedule_reminder(task["id"], task["due"]))
            _background_tasks.add(task_1)
            task_1.add_done_callback(_background_tasks.discard)
