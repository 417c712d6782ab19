import asyncio
import logging

log = logging.getLogger(__name__)


class App:
    def __init__(self, services: list) -> None:
        self._services = services

    async def shutdown(self) -> None:
        cancelled = None
        for service in reversed(self._services):
            try:
                await service.stop()
            except Exception:
                log.exception("stopping %s failed", service.name)
                continue
            except asyncio.CancelledError as cancel_error:
                cancelled = cancel_error
        if cancelled is not None:
            raise cancelled
