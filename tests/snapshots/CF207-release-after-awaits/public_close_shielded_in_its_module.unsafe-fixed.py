import asyncio


class Stream:
    def __init__(self, transport) -> None:
        self.transport = transport

    async def aclose(self) -> None:
        try:
            await self.transport.flush()
        finally:
            self.transport.close()

    async def on_eof(self) -> None:
        await asyncio.shield(self.aclose())
