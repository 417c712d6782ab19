import logging
from dataclasses import dataclass
from datetime import date

import asyncpg

log = logging.getLogger(__name__)


@dataclass
class DailyTotals:
    day: date
    orders: int
    revenue_cents: int


class ReportBuilder:
    def __init__(self, dsn: str, schema: str = "public"):
        self._dsn = dsn
        self._schema = schema

    async def daily_totals(self, day: date) -> DailyTotals:
        conn = await asyncpg.connect(self._dsn)
        try:
            await conn.execute(f"SET search_path TO {self._schema}")
            row = await conn.fetchrow(
                "SELECT count(*) AS orders, coalesce(sum(total_cents), 0) AS revenue"
                " FROM orders WHERE placed_at::date = $1",
                day,
            )
        finally:
            await conn.close()
        totals = DailyTotals(day=day, orders=row["orders"], revenue_cents=row["revenue"])
        log.info("totals for %s: %d orders", day, totals.orders)
        return totals
