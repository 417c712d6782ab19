# cancelfix: target-version=py311
"""A heartbeat sender stopped by awaiting the cancelled task directly."""

import asyncio


class Heartbeat:
    def __init__(self, transport, period=15.0):
        self._transport = transport
        self._period = period
        self._task = None

    async def _beat(self):
        while True:
            await self._transport.send(b"ping")
            await asyncio.sleep(self._period)

    def start(self):
        self._task = asyncio.create_task(self._beat())

    async def stop(self):
        # The sender must be gone before the goodbye frame.
        self._task.cancel()
        task = self._task
        cancelling = asyncio.current_task().cancelling()
        try:
            await task  # raises the sender's CancelledError
        except asyncio.CancelledError:
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
        await self._transport.send(b"bye")
