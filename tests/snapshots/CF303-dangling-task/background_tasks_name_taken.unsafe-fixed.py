import asyncio
import logging

from .settings import settings

_background_tasks_1: set[object] = set()

log = logging.getLogger(__name__)

# Names of the jobs the admin page lists as "background tasks".
_background_tasks = ["cleanup_sessions", "rotate_logs"]


async def run_background_task(name: str) -> None:
    if name not in _background_tasks:
        raise KeyError(name)
    log.info("starting %s", name)
    task = asyncio.create_task(settings.jobs[name]())
    _background_tasks_1.add(task)
    task.add_done_callback(_background_tasks_1.discard)
