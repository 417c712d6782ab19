import asyncio
import logging

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(self) -> None:
        self.tasks: list[asyncio.Task] = []

    def spawn(self, coro) -> None:
        self.tasks.append(asyncio.create_task(coro))

    async def shutdown(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            await asyncio.wait([task])
            try:
                task.result()
            except asyncio.CancelledError:
                pass
            except Exception:
                log.exception("task %s failed during shutdown", task.get_name())
        self.tasks.clear()
