import logging

from legacy_db import QueryFailed, ServerGone

log = logging.getLogger(__name__)


class LedgerReader:
    def __init__(self, pool, retries: int = 3) -> None:
        self._pool = pool
        self._retries = retries

    async def balances(self, account_ids: list[int]) -> list[dict]:
        for attempt in range(1, self._retries + 1):
            conn = await self._pool.acquireConn()
            try:
                rows = await conn.query(
                    "SELECT id, balance FROM ledger WHERE id = ANY(%s)", account_ids
                )
                return rows
            except ServerGone:
                log.warning("ledger server went away (attempt %d/%d)", attempt, self._retries)
                continue
            except QueryFailed as exc:
                log.error("ledger query rejected: %s", exc)
                break
            finally:
                self._pool.releaseConn(conn)
        return []
