"""`suppress` is still used by other code after the fix: it stays; `CancelledError` goes."""

import asyncio
from contextlib import suppress


class Pinger:
    async def stop(self) -> None:
        self._task.cancel()
        task = self._task
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()

    def forget(self, path: str) -> None:
        with suppress(FileNotFoundError):
            self._files.remove(path)

    async def ping(self) -> None:
        await asyncio.sleep(1)
