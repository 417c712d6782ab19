import asyncio
import logging

log = logging.getLogger(__name__)


class ConnectionLost(Exception):
    pass


async def read_response(conn, timeout: float = 10.0):
    try:
        async with asyncio.timeout(timeout):
            return await conn.read_response()
    except BaseException as exc:
        await conn.disconnect(nowait=True)
        if isinstance(exc, OSError):
            log.warning("connection lost: %s", exc)
            raise
        else:
            log.debug("read aborted: %r", exc)
            raise
