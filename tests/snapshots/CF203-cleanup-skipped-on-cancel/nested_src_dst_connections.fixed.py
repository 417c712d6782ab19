import logging

import asyncpg

log = logging.getLogger(__name__)


async def copy_table(src_dsn: str, dst_dsn: str, table: str) -> int:
    src = await asyncpg.connect(src_dsn)
    try:
        rows = await src.fetch(f"SELECT * FROM {table}")
        dst = await asyncpg.connect(dst_dsn)
        try:
            await dst.execute(f"TRUNCATE {table}")
            await dst.copy_records_to_table(table, records=[tuple(row) for row in rows])
        finally:
            await dst.close()
    finally:
        await src.close()
    log.info("copied %d rows of %s", len(rows), table)
    return len(rows)
