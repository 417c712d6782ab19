import asyncio
import logging

log = logging.getLogger(__name__)


async def serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    peer = writer.get_extra_info("peername")
    try:
        while line := await reader.readline():
            writer.write(line.upper())
            await writer.drain()
    except asyncio.CancelledError:
        try:
            writer.write(b"server shutting down\n")
            await asyncio.wait_for(writer.drain(), timeout=1.0)
        except (OSError, TimeoutError):
            log.debug("could not say goodbye to %s", peer)
        finally:
            writer.close()
            raise
    writer.close()
