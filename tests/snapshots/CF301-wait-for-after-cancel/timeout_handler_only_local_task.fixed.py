"""A pool's health check starts a probe, gives up on it when the pool closes, and waits for it
with a handler for the timeout only: the probe's own CancelledError escapes as the caller's."""

import asyncio
import logging

logger = logging.getLogger(__name__)


class HealthChecker:
    def __init__(self, pool) -> None:
        self._pool = pool

    async def check_until_closed(self) -> None:
        probe = asyncio.create_task(self._pool.probe_all())
        try:
            await self._pool.closed.wait()
        finally:
            probe.cancel()
        try:
            await asyncio.wait_for(probe, timeout=5.0)
        except asyncio.TimeoutError:
            logger.warning("probe did not stop within 5s")
