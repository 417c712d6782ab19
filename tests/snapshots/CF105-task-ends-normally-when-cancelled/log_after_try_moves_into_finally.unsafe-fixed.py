"""A keepalive task whose broad handler logs any failure, and which logs its end after the
`try`. The fix's clause would skip that log line on cancellation; every path of the `try`
goes on to it and it ends the coroutine, so it moves into the `finally` with the fix and
runs on the cancellation path too."""

import asyncio
import logging

log = logging.getLogger(__name__)


class Keepalive:
    def __init__(self, conn, interval: float) -> None:
        self._conn = conn
        self._interval = interval

    async def run(self) -> None:
        try:
            while True:
                await self._conn.ping()
                await asyncio.sleep(self._interval)
        except asyncio.CancelledError:
            raise
        except BaseException:
            log.warning("keepalive stopped", exc_info=True)
        finally:
            log.debug("keepalive for %s ended", self._conn)
