import logging

import aiosqlite

log = logging.getLogger(__name__)


class SessionStore:
    def __init__(self, path: str) -> None:
        self.path = path

    async def purge_expired(self, now: float) -> int:
        db = await aiosqlite.connect(self.path)
        try:
            async with db.execute("SELECT count(*) FROM sessions WHERE expires < ?", (now,)) as cur:
                (expired,) = await cur.fetchone()
            if not expired:
                return 0
            await db.execute("DELETE FROM sessions WHERE expires < ?", (now,))
            await db.commit()
            return expired
        except aiosqlite.DatabaseError:
            log.exception("could not purge sessions in %s", self.path)
            raise
        finally:
            await db.close()
