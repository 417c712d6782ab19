# cancelfix: target-version=py311
"""A polling coordinator in the style of a Home Assistant integration."""

import asyncio


class DeviceCoordinator:
    def __init__(self, api, interval):
        self.api = api
        self.interval = interval
        self._poll_task: asyncio.Task[None] | None = None
        self.data = {}

    async def _poll(self):
        while True:
            self.data = await self.api.fetch_state()
            await asyncio.sleep(self.interval)

    def start(self):
        self._poll_task = asyncio.create_task(self._poll())

    async def async_shutdown(self):
        if self._poll_task is not None and not self._poll_task.done():
            self._poll_task.cancel()
            task = self._poll_task
            cancelling = asyncio.current_task().cancelling()
            try:
                await task
            except asyncio.CancelledError:
                if not task.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
        self._poll_task = None
        await self.api.close()
