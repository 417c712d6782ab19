"""Both pumps of a bridge cancelled over a list literal; the inbound one awaited plainly."""

import asyncio


class Bridge:
    def __init__(self, left, right) -> None:
        self._inbound = asyncio.create_task(self._pump(left, right))
        self._outbound = asyncio.create_task(self._pump(right, left))

    async def _pump(self, source, sink) -> None:
        while True:
            await sink.write(await source.read())

    async def stop(self) -> None:
        for pump in [self._inbound, self._outbound]:
            pump.cancel()
        task = self._inbound
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
