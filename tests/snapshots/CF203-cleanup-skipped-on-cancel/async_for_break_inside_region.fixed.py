import logging

import nats

log = logging.getLogger(__name__)


class BatchCoordinator:
    def __init__(self, nc: nats.NATS):
        self._nc = nc

    async def collect_acks(self, batch_id: str, expected: int) -> set[str]:
        sub = await self._nc.subscribe(f"acks.{batch_id}")
        try:
            await self._nc.publish(f"batches.{batch_id}.ready", b"")
            acked: set[str] = set()
            async for msg in sub.messages:
                acked.add(msg.data.decode())
                if len(acked) >= expected:
                    break
        finally:
            await sub.unsubscribe()
        log.info("batch %s acknowledged by %d workers", batch_id, len(acked))
        return acked
