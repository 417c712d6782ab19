import asyncio


class Connection:
    def __init__(self, protocol, writer) -> None:
        self.protocol = protocol
        self.writer = writer

    async def _finish(self) -> None:
        try:
            await self.protocol.send_goodbye()
        finally:
            self.writer.close()

    async def on_idle_timeout(self) -> None:
        await asyncio.shield(self._finish())

    async def on_protocol_error(self) -> None:
        await self._finish()
