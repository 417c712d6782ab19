import asyncio
import logging

import asyncpg
from prometheus_client import Counter

log = logging.getLogger(__name__)

TX_ROLLBACKS = Counter("billing_tx_rollbacks_total", "Rolled back billing transactions", ["op"])


async def charge(conn: asyncpg.Connection, invoice_id: int, amount_cents: int) -> None:
    tx = conn.transaction()
    await tx.start()
    try:
        await conn.execute(
            "INSERT INTO charges (invoice_id, amount_cents) VALUES ($1, $2)",
            invoice_id,
            amount_cents,
        )
        await conn.execute("UPDATE invoices SET status = 'paid' WHERE id = $1", invoice_id)
        await tx.commit()
    except BaseException:
        await tx.rollback()
        TX_ROLLBACKS.labels(op="charge").inc()
        raise
