"""A router scan started, two probes raced against a deadline, those still pending cancelled,
the scan stopped: the cancels are the scan's teardown and move into `finally` with the stop.
The loop reads `pending`, which the race rebinds; bound before it, it is never read unbound,
and the lines up to its first binding stay before the `try`."""

import asyncio


class RouterFinder:
    async def prefer_if_alone(self, network_id):
        scanner = self._discovery.scanner(self._on_router)
        await scanner.start()
        own = asyncio.ensure_future(self._own_seen.wait())
        other = asyncio.ensure_future(self._other_seen.wait())
        pending = {own, other}
        try:
            done, pending = await asyncio.wait(pending, timeout=self._timeout)
            if other not in done and own in done:
                self.preferred = network_id
        finally:
            for probe in pending:
                probe.cancel()
            await scanner.stop()
