import asyncio
import logging

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renews a lease; a cancellation sent by `pause()` only interrupts the current wait."""

    def __init__(self, client, lease_id: str, ttl: float) -> None:
        self.client = client
        self.lease_id = lease_id
        self.ttl = ttl
        self.pausing = False

    async def keep(self) -> None:
        while True:
            try:
                await asyncio.sleep(self.ttl / 3)
                await self.client.renew(self.lease_id)
            except asyncio.CancelledError:
                if not self.pausing:
                    raise
                asyncio.current_task().uncancel()
                self.pausing = False
                log.info("lease keeper paused, resuming")
