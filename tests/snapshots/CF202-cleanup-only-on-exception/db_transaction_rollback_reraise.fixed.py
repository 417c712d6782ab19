import asyncio
import logging

import asyncpg

log = logging.getLogger(__name__)


async def transfer(pool: asyncpg.Pool, src: int, dst: int, amount: int) -> None:
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        try:
            await conn.execute(
                "UPDATE accounts SET balance = balance - $1 WHERE id = $2", amount, src
            )
            await conn.execute(
                "UPDATE accounts SET balance = balance + $1 WHERE id = $2", amount, dst
            )
            await tx.commit()
        except BaseException:
            await tx.rollback()
            raise
    log.info("moved %d from %s to %s", amount, src, dst)
