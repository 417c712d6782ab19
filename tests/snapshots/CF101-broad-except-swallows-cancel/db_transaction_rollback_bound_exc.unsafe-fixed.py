import asyncio
import logging

import asyncpg

log = logging.getLogger(__name__)


async def transfer(pool: asyncpg.Pool, src: int, dst: int, amount: int) -> bool:
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
        except asyncio.CancelledError:
            await tx.rollback()
            raise
        except BaseException as exc:
            log.warning("transfer %s -> %s failed: %r", src, dst, exc)
            await tx.rollback()
            return False
    return True
