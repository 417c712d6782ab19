"""The `cancel()` is followed by a `raise` only inside the `if`: on the other path it reaches
the `await`, which is flagged."""

import asyncio


class Poller:
    async def stop(self, fatal: bool) -> None:
        self._task.cancel()
        if fatal:
            raise RuntimeError("poller failed")
        task = self._task
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
