import asyncio as aio
import logging

log = logging.getLogger(__name__)


async def keepalive(connect, interval: float = 30.0) -> None:
    conn = await connect()
    while True:
        try:
            await aio.wait_for(conn.ping(), timeout=10)
        except BaseException:
            log.warning("ping failed, reconnecting")
            await conn.close()
            conn = await connect()
        await aio.sleep(interval)
