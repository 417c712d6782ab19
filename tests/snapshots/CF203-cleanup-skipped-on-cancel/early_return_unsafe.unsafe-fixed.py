import logging
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

log = logging.getLogger(__name__)


@dataclass
class Invoice:
    number: str
    currency: str
    amount: Decimal


class BillingRepository:
    def __init__(self, dsn: str):
        self._dsn = dsn

    async def latest_invoice(self, customer_id: int) -> Invoice | None:
        conn = await asyncpg.connect(self._dsn)
        try:
            customer = await conn.fetchrow(
                "SELECT id, currency FROM customers WHERE id = $1", customer_id
            )
            if customer is None:
                log.warning("unknown customer %s", customer_id)
                return None
            row = await conn.fetchrow(
                "SELECT number, amount FROM invoices WHERE customer_id = $1"
                " ORDER BY issued_at DESC LIMIT 1",
                customer_id,
            )
        finally:
            await conn.close()
        return Invoice(row["number"], customer["currency"], row["amount"])
