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
        task = self._task
        self._task = None
        task.cancel()
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
        await self._transport.send(b"bye")
