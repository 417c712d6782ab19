import logging
import time

import aiosqlite

log = logging.getLogger(__name__)


class AuditLog:
    def __init__(self, path: str, metrics) -> None:
        self._path = path
        self._metrics = metrics

    async def append(self, actor: str, action: str) -> None:
        started = time.perf_counter()
        db = await aiosqlite.connect(self._path)
        try:
            await db.execute(
                "INSERT INTO audit (actor, action, at) VALUES (?, ?, ?)",
                (actor, action, time.time()),
            )
            await db.commit()
        except aiosqlite.OperationalError:
            log.exception("audit log %s is locked", self._path)
            raise
        finally:
            await db.close()
            self._metrics.observe("audit_append_seconds", time.perf_counter() - started)
