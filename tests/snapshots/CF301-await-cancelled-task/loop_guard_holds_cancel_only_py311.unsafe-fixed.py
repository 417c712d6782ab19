# cancelfix: target-version=py311
"""Each reader not yet done is cancelled, and every one is waited for, in turn: the guard holds
the cancel alone. One loop is one group: a cancellation of the caller while it waits for one
reader left the others running. Every reader is now cancelled first (noted whether or not
the guard let it be cancelled: each was waited for), then each waited for. In `reconnect`
the code after the loop makes the fix unsafe."""

import asyncio


class Subscriber:
    async def stop(self) -> None:
        cancelled = []
        for reader in self._readers:
            if not reader.done():
                reader.cancel()
            cancelled.append(reader)
        for reader in cancelled:
            cancelling = asyncio.current_task().cancelling()
            try:
                await reader
            except asyncio.CancelledError:
                if not reader.done() or asyncio.current_task().cancelling() > cancelling:
                    raise

    async def reconnect(self) -> None:
        cancelled = []
        for reader in self._readers:
            if not reader.done():
                reader.cancel()
            cancelled.append(reader)
        for reader in cancelled:
            cancelling = asyncio.current_task().cancelling()
            try:
                await reader
            except asyncio.CancelledError:
                if not reader.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
        self._readers.clear()
        await self._connect()
