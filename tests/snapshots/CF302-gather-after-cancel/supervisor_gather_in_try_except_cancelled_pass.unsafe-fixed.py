import asyncio
import logging

log = logging.getLogger(__name__)


class Supervisor:
    def __init__(self) -> None:
        self.children: list[asyncio.Task] = []

    def spawn(self, coro, name: str) -> None:
        self.children.append(asyncio.create_task(coro, name=name))

    async def stop_children(self) -> None:
        for child in self.children:
            child.cancel()
        await asyncio.gather(*self.children, return_exceptions=True)
        log.info("stopped %d children", len(self.children))
        self.children.clear()
