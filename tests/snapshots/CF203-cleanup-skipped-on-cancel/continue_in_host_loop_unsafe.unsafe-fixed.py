import asyncio
import logging

log = logging.getLogger(__name__)


async def probe_smtp(hosts: list[str], port: int = 25) -> list[str]:
    alive = []
    for host in hosts:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            banner = await reader.readline()
            if not banner.startswith(b"220"):
                log.info("%s: unexpected banner %r", host, banner)
                continue
            writer.write(b"QUIT\r\n")
            await writer.drain()
            alive.append(host)
        finally:
            writer.close()
            await writer.wait_closed()
    return alive
