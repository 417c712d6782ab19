import asyncio
import logging

import aiohttp

log = logging.getLogger(__name__)


class ApiClient:
    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base_url = base_url

    @classmethod
    async def login(cls, base_url: str, username: str, password: str) -> "ApiClient":
        session = aiohttp.ClientSession(raise_for_status=True)
        try:
            async with session.post(
                f"{base_url}/auth/login", json={"username": username, "password": password}
            ) as resp:
                token = (await resp.json())["access_token"]
            session.headers["Authorization"] = f"Bearer {token}"
        except BaseException:
            await session.close()
            raise
        log.info("logged in to %s as %s", base_url, username)
        return cls(session, base_url)
