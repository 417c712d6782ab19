import asyncio
import logging

log = logging.getLogger(__name__)


async def forward(reader, upstream_host: str, upstream_port: int) -> int:
    """Copy one client's stream to an upstream server; returns the bytes forwarded."""
    up_reader, up_writer = await asyncio.open_connection(upstream_host, upstream_port)
    try:
        forwarded = 0
        try:
            while chunk := await reader.read(65536):
                up_writer.write(chunk)
                await up_writer.drain()
                forwarded += len(chunk)
        except (asyncio.CancelledError, ConnectionResetError) as exc:
            log.info("forwarding to %s stopped: %r", upstream_host, exc)
    finally:
        up_writer.close()
        await up_writer.wait_closed()
    return forwarded
