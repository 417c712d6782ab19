# cancelfix: target-version=py311
"""Two tasks cancelled and awaited through a literal list."""

import asyncio


class Pipe:
    async def close(self):
        for task in [self._reader, self._writer]:
            task.cancel()
        for task in [self._reader, self._writer]:
            cancelling = asyncio.current_task().cancelling()
            try:
                await task
            except asyncio.CancelledError:
                if not task.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
