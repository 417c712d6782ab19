import asyncio
import logging

_LOGGER = logging.getLogger(__name__)


class EventPoller:
    """stop() cancels the poll task but leaves the subscription to the handler."""

    def __init__(self, api) -> None:
        self._api = api
        self._poll_task: asyncio.Task | None = None

    def start(self) -> None:
        self._poll_task = asyncio.create_task(self._poll())

    async def stop(self) -> None:
        if self._poll_task is not None:
            self._poll_task.cancel()
            self._poll_task = None

    async def _poll(self) -> None:
        while True:
            try:
                events = await self._api.pull_events()
            except BaseException:
                await self._api.unsubscribe(kind="pull")
                raise
            _LOGGER.debug("%d events", len(events))
            await asyncio.sleep(1)
