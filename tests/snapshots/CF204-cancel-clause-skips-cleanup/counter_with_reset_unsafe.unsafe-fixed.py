import asyncio


class Stats:
    errors = 0


class Session:
    def __init__(self, dialer) -> None:
        self._dialer = dialer
        self._conn = None
        self._stats = Stats()

    async def start(self) -> None:
        self._conn = await self._dialer.dial()
        try:
            await self._conn.login()
        except asyncio.CancelledError:
            self._conn = None
            self._stats.errors += 1
            raise
        except Exception:
            self._conn = None
            self._stats.errors += 1
            raise
