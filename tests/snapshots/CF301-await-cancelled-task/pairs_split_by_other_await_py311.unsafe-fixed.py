# cancelfix: target-version=py311
"""Two stops with a flush between them: not one group (the flush awaits). The first wait's fix
is unsafe (a cancellation of the caller there now skips the flush and the second stop), and
until it is applied the function swallows the caller's cancellation: the second, safe alone,
is fixed with the first, with `--unsafe-fixes` (the function is fixed whole)."""

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
