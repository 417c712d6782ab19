import asyncio


class Crawler:
    def __init__(self, session, limit: int) -> None:
        self._session = session
        self._slots = asyncio.Semaphore(limit)

    async def fetch(self, url: str) -> bytes:
        await self._slots.acquire()
        try:
            response = await self._session.get(url)
            body = await response.read()
        except (ConnectionError, asyncio.IncompleteReadError):
            self._slots.release()
            raise
        except asyncio.CancelledError:
            self._slots.release()
            raise
        self._slots.release()
        return body
