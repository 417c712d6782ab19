import asyncio
import logging

log = logging.getLogger(__name__)


class LegacyDriverAdapter:
    def __init__(self, driver, database: str) -> None:
        self._driver = driver
        self._database = database

    async def borrow(self):
        handle = await self._driver.getConnection(self._database)
        try:
            await handle.setAutoCommit(False)
            await handle.setIsolation("READ COMMITTED")
        except BaseException:
            log.error("preparing a %s connection failed", self._database)
            await self._driver.releaseConnection(handle)
            raise
        return handle
