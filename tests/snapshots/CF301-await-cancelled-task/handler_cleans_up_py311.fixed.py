# cancelfix: target-version=py311
"""The handler cleans up: the guard goes after the cleanup, which still runs on every path."""

import asyncio


class Client:
    async def close(self):
        self._reader_task.cancel()
        task = self._reader_task
        cancelling = asyncio.current_task().cancelling()
        try:
            await task
        except asyncio.CancelledError:
            self.log.append("reader stopped")
            await self._conn.close()
            if not task.done() or asyncio.current_task().cancelling() > cancelling:
                raise
