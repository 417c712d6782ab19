import asyncio
import logging

log = logging.getLogger(__name__)


async def redis_ping(host: str, port: int = 6379) -> float:
    loop = asyncio.get_running_loop()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        started = loop.time()
        writer.write(b"*1\r\n$4\r\nPING\r\n")
        await writer.drain()
        reply = await reader.readline()
        elapsed = loop.time() - started
        if reply != b"+PONG\r\n":
            log.warning("unexpected reply from %s:%d: %r", host, port, reply)
    finally:
        writer.close()
        await writer.wait_closed()
    return elapsed
