import logging

import aiohttp

log = logging.getLogger(__name__)


class WebhookSender:
    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.failures = 0

    async def deliver(self, events: list[dict]) -> None:
        session = aiohttp.ClientSession()
        try:
            for event in events:
                async with session.post(self.endpoint, json=event) as resp:
                    resp.raise_for_status()
        except aiohttp.ClientResponseError as exc:
            log.warning("webhook %s rejected an event: %s", self.endpoint, exc.status)
            self.failures += 1
            raise
        finally:
            await session.close()
