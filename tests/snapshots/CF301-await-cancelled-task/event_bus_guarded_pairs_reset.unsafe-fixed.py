"""An event bus whose shutdown stops its listener and its publisher, each if it runs."""

import asyncio


class EventBus:
    def __init__(self, backend) -> None:
        self._backend = backend
        self._listener: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self._outbox: asyncio.Queue[bytes] = asyncio.Queue()

    async def shutdown(self) -> None:
        await self._outbox.join()

        if self._listener:
            self._listener.cancel()
        if self._publisher is not None:
            self._publisher.cancel()
        if self._listener:
            task = self._listener
            await asyncio.wait([task])
            if not task.cancelled():
                task.result()
            self._listener = None

        if self._publisher is not None:
            task = self._publisher
            await asyncio.wait([task])
            if not task.cancelled():
                task.result()
            self._publisher = None

        await self._backend.disconnect()
