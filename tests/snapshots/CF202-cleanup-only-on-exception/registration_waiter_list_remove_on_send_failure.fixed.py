import asyncio


class ReplyRouter:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._waiters: list[asyncio.Future] = []

    async def ask(self, line: bytes) -> bytes:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            self._writer.write(line)
            await self._writer.drain()
        except BaseException:
            self._waiters.remove(waiter)
            raise
        return await waiter
