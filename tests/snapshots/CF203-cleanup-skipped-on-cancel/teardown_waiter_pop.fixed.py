import asyncio


class Resolver:
    def __init__(self, host: str) -> None:
        self._host = host
        self._waiters: dict[str, asyncio.Future] = {}

    async def resolve(self, name: str) -> bytes:
        reader, writer = await asyncio.open_connection(self._host, 53)
        try:
            self._waiters[name] = asyncio.get_running_loop().create_future()
            writer.write(name.encode())
            await writer.drain()
            answer = await reader.read(512)
        finally:
            writer.close()
            self._waiters.pop(name, None)
        return answer
