import asyncio
import logging

log = logging.getLogger(__name__)


class Transaction:
    def __init__(self, conn) -> None:
        self.conn = conn

    async def run(self, statements: list[str]) -> None:
        await self.conn.execute("BEGIN")
        try:
            for statement in statements:
                await self.conn.execute(statement)
            await self.conn.execute("COMMIT")
        except asyncio.CancelledError:
            try:
                log.warning("transaction cancelled, rolling back")
                raise
            finally:
                self.conn.terminate()
