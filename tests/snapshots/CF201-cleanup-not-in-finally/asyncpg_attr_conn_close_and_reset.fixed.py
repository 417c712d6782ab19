import logging

import asyncpg

log = logging.getLogger(__name__)


class ReportExporter:
    def __init__(self, dsn: str, sink) -> None:
        self._dsn = dsn
        self._sink = sink
        self._conn: asyncpg.Connection | None = None

    async def export(self, report_id: int) -> int:
        self._conn = await asyncpg.connect(self._dsn)
        try:
            rows = await self._conn.fetch(
                "SELECT * FROM report_lines WHERE report_id = $1 ORDER BY line_no", report_id
            )
            for row in rows:
                self._sink.write(dict(row))
        except asyncpg.PostgresError:
            log.exception("export of report %d failed", report_id)
            raise
        finally:
            await self._conn.close()
            self._conn = None
        return len(rows)
