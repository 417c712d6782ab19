import logging

log = logging.getLogger(__name__)


class OrderEvents:
    def __init__(self, bus):
        self._bus = bus

    async def wait_for(self, order_id: str, kind: str) -> dict | None:
        sub = await self._bus.subscribe(f"orders.{order_id}")
        try:
            async for event in sub:
                log.debug("order %s: %s", order_id, event["kind"])
                if event["kind"] == kind:
                    return event
        finally:
            await sub.unsubscribe()
        return None
