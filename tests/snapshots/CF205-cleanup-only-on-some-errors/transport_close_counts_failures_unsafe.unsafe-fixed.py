import asyncio


class Stats:
    failures = 0


class Uplink:
    def __init__(self, host: str) -> None:
        self._host = host
        self._stats = Stats()

    async def push(self, data: bytes) -> None:
        reader, writer = await asyncio.open_connection(self._host, 7000)
        try:
            writer.write(data)
            await writer.drain()
            await reader.readexactly(2)
        except (OSError, asyncio.IncompleteReadError):
            writer.close()
            self._stats.failures += 1
            raise
        except asyncio.CancelledError:
            writer.close()
            self._stats.failures += 1
            raise
        writer.close()
