# cancelfix: target-version=py311
"""Two stops with a flush between them: not one group (the flush awaits), each pair is fixed
on its own."""

import asyncio


class Session:
    async def close(self) -> None:
        self._keepalive.cancel()
        task = self._keepalive
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError:
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
        await self._transport.flush()
        self._reader.cancel()
        task = self._reader
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError:
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
