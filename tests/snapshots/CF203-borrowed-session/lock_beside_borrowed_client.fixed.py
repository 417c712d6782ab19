import asyncio

from tidewatch import TideClient


class StationCache:
    def __init__(self, session) -> None:
        self._session = session
        self._refreshing = asyncio.Lock()
        self.tides: dict[str, list[float]] = {}

    async def refresh(self, station: str) -> None:
        client = TideClient(station, session=self._session)
        await self._refreshing.acquire()
        try:
            self.tides[station] = await client.heights(days=1)
        finally:
            self._refreshing.release()
