import asyncio
import logging

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


async def watch_process(proc: asyncio.subprocess.Process, on_exit) -> None:
    loop = asyncio.get_running_loop()
    waiter = loop.create_future()

    def _done(future: asyncio.Future) -> None:
        log.info("process %s exited", proc.pid)
        task = loop.create_task(on_exit(proc.returncode))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)

    waiter.add_done_callback(_done)
    waiter.set_result(await proc.wait())
