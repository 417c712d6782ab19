import asyncio
import logging

import asyncpg

log = logging.getLogger(__name__)


async def refresh_materialized_views(dsn: str, views: list[str]) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for view in views:
            await conn.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {view}")
            log.info("refreshed %s", view)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("view refresh aborted")
        raise
    finally:
        await conn.close()
