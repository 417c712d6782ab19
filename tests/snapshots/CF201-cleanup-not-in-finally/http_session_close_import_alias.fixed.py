import logging

import aiohttp as http

log = logging.getLogger(__name__)


class StatusPoller:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def poll(self, services: list[str]) -> dict[str, str]:
        session = http.ClientSession(timeout=http.ClientTimeout(total=5))
        try:
            statuses = {}
            for name in services:
                async with session.get(f"{self.base_url}/{name}/health") as resp:
                    statuses[name] = (await resp.json())["status"]
        except http.ClientError as exc:
            log.warning("status poll against %s failed: %s", self.base_url, exc)
            raise exc
        finally:
            await session.close()
        return statuses
