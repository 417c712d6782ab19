import asyncio
import logging
import time

log = logging.getLogger(__name__)


class TokenCache:
    def __init__(self, client, margin: float = 30.0):
        self._client = client
        self._margin = margin
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._expires_at = 0.0

    async def get_token(self) -> str:
        await self._lock.acquire()
        try:
            if self._token is None or time.monotonic() > self._expires_at - self._margin:
                log.debug("refreshing access token")
                grant = await self._client.client_credentials()
                self._token = grant["access_token"]
                self._expires_at = time.monotonic() + grant["expires_in"]
        finally:
            self._lock.release()
        return self._token
