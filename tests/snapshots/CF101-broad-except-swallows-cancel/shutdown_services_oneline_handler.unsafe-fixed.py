import asyncio
import logging

log = logging.getLogger(__name__)


class App:
    def __init__(self):
        self._services = []
        self._db = None

    async def shutdown(self) -> None:
        for name, service in reversed(self._services):
            log.info("stopping %s", name)
            try:
                await asyncio.wait_for(service.stop(), timeout=5)
            except BaseException: log.exception("service %s did not stop cleanly", name)
        if self._db is not None:
            try:
                await self._db.close()
            except asyncio.CancelledError:
                raise
            except: pass
