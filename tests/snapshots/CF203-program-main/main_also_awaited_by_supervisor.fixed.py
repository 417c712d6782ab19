import asyncio
import logging

import asyncpg

log = logging.getLogger(__name__)


async def sync_once(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("REFRESH MATERIALIZED VIEW daily_totals")
    finally:
        await conn.close()


async def supervise(dsn: str, interval: float) -> None:
    while True:
        try:
            await asyncio.wait_for(sync_once(dsn), timeout=interval)
        except asyncio.TimeoutError:
            log.warning("refresh took longer than %ss", interval)
        await asyncio.sleep(interval)


if __name__ == "__main__":
    asyncio.run(sync_once("postgresql:///reports"))
