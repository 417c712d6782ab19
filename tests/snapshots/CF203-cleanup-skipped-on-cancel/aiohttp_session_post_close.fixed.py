import logging

import aiohttp

log = logging.getLogger(__name__)


class StatusPageClient:
    def __init__(self, base_url: str, token: str, page_id: str):
        self._base_url = base_url
        self._token = token
        self._page_id = page_id

    async def open_incident(self, title: str, body: str, *, impact: str = "minor") -> str:
        session = aiohttp.ClientSession(
            base_url=self._base_url,
            headers={"Authorization": f"OAuth {self._token}"},
            timeout=aiohttp.ClientTimeout(total=15),
        )
        try:
            resp = await session.post(
                f"/v1/pages/{self._page_id}/incidents",
                json={"incident": {"name": title, "body": body, "impact_override": impact}},
            )
            resp.raise_for_status()
            data = await resp.json()
            log.info("opened incident %s: %s", data["id"], title)
        finally:
            await session.close()
        return data["id"]
