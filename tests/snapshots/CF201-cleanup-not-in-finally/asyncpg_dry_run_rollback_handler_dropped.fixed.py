import logging

import asyncpg

log = logging.getLogger(__name__)


async def plan_migration(conn: asyncpg.Connection, statements: list[str]) -> list[str]:
    tx = conn.transaction()
    await tx.start()
    try:
        for statement in statements:
            await conn.execute(statement)
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
        plan = sorted(row["table_name"] for row in tables)
        return plan
    finally:
        await tx.rollback()
