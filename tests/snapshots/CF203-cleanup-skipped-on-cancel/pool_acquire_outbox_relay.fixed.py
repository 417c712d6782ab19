import logging

import asyncpg

log = logging.getLogger(__name__)

PENDING = """
SELECT id, topic, payload
FROM outbox
WHERE sent_at IS NULL
ORDER BY id
LIMIT $1
"""


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, producer):
        self._pool = pool
        self._producer = producer

    async def relay_batch(self, limit: int = 100) -> int:
        conn = await self._pool.acquire()
        try:
            rows = await conn.fetch(PENDING, limit)
            for row in rows:
                await self._producer.send(row["topic"], row["payload"])
            await conn.executemany(
                "UPDATE outbox SET sent_at = now() WHERE id = $1", [(row["id"],) for row in rows]
            )
        finally:
            await self._pool.release(conn)
        log.info("relayed %d outbox messages", len(rows))
        return len(rows)
