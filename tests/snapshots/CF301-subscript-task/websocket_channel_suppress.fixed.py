"""A websocket client runs one reader task per channel; leaving a channel stops its reader
under `suppress`, which also swallows a cancellation of `leave()` itself."""

import asyncio


class ChannelSocket:
    def __init__(self, ws) -> None:
        self._ws = ws
        self._readers: dict[str, asyncio.Task[None]] = {}

    async def join(self, channel: str) -> None:
        await self._ws.send_json({"op": "join", "channel": channel})
        self._readers[channel] = asyncio.create_task(self._read(channel))

    async def _read(self, channel: str) -> None:
        while True:
            await self._ws.receive_json()

    async def leave(self, channel: str) -> None:
        await self._ws.send_json({"op": "leave", "channel": channel})
        self._readers[channel].cancel()
        task = self._readers[channel]
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
