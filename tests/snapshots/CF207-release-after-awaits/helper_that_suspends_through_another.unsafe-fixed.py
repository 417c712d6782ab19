import asyncio


class Feed:
    def __init__(self, socket) -> None:
        self._socket = socket

    async def _pause(self) -> None:
        await asyncio.sleep(0.1)

    async def _say_bye(self) -> None:
        await self._pause()

    async def close(self) -> None:
        try:
            await self._say_bye()
        finally:
            self._socket.close()
