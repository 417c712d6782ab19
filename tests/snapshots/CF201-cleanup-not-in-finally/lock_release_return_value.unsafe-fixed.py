import asyncio
import logging
from asyncio import Lock

log = logging.getLogger(__name__)


class TokenProvider:
    def __init__(self, client, audience: str) -> None:
        self._client = client
        self._audience = audience
        self._lock = Lock()
        self._token: str | None = None

    async def token(self) -> str | None:
        await self._lock.acquire()
        try:
            if self._token is None:
                grant = await asyncio.wait_for(self._client.fetch_token(self._audience), 10)
                self._token = grant["access_token"]
            token = self._token
            return token
        except TimeoutError:
            log.warning("token endpoint for %s timed out", self._audience)
            return None
        finally:
            self._lock.release()
