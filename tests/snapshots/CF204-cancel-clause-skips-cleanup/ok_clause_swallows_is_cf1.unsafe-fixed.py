import asyncio


class Poller:
    def __init__(self, client) -> None:
        self._client = client
        self._conn = None

    async def poll_once(self):
        self._conn = await self._client.connect()
        try:
            return await self._conn.poll()
        except asyncio.CancelledError:
            self._conn = None
            raise
        except Exception:
            self._conn = None
            raise
