import asyncio
import logging

log = logging.getLogger(__name__)


async def relay(client_reader, client_writer, upstream_host: str, upstream_port: int) -> None:
    up_reader, up_writer = await asyncio.open_connection(upstream_host, upstream_port)
    try:
        while data := await client_reader.read(65536):
            up_writer.write(data)
            await up_writer.drain()
    except asyncio.CancelledError:
        log.info("relay to %s:%d cancelled", upstream_host, upstream_port)
        up_writer.close()
        client_writer.close()
        raise
    up_writer.close()
    await up_writer.wait_closed()
