import asyncio as aio
import logging

import aiohttp

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


class WebhookDispatcher:
    def __init__(self, session: aiohttp.ClientSession, endpoints: list[str]) -> None:
        self._session = session
        self._endpoints = endpoints

    def dispatch(self, event: dict) -> None:
        for endpoint in self._endpoints:
            task = aio.ensure_future(self._post(endpoint, event))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)

    async def _post(self, endpoint: str, event: dict) -> None:
        async with self._session.post(endpoint, json=event) as response:
            if response.status >= 400:
                log.warning("webhook %s answered %s", endpoint, response.status)
