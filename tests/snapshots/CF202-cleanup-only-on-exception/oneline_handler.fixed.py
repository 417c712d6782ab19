import asyncio
import logging

import aiosqlite

log = logging.getLogger(__name__)


async def open_database(path: str) -> aiosqlite.Connection:
    db = await aiosqlite.connect(path)
    try:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA foreign_keys=ON")
    except BaseException: await db.close(); raise
    log.debug("opened %s", path)
    return db
