import asyncio
import logging

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, send, interval: float = 10.0) -> None:
        self.send = send
        self.interval = interval
        self.task: asyncio.Task | None = None

    async def _beat(self) -> None:
        while True:
            await self.send({"op": "ping"})
            await asyncio.sleep(self.interval)

    def start(self) -> None:
        self.task = asyncio.create_task(self._beat())

    async def stop(self, grace: float = 2.0) -> None:
        task, self.task = self.task, None
        if task is None:
            return
        task.cancel()
        try:
            await asyncio.wait_for(task, timeout=grace)
        except asyncio.CancelledError:
            pass
        except TimeoutError:
            log.warning("heartbeat did not stop within %.1fs", grace)
