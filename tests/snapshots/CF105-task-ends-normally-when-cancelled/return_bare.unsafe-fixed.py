import asyncio
import logging

log = logging.getLogger(__name__)


async def read_frames(reader: asyncio.StreamReader, on_frame) -> None:
    """Read length-prefixed frames until EOF."""
    while True:
        try:
            header = await reader.readexactly(4)
            size = int.from_bytes(header, "big")
            payload = await reader.readexactly(size)
        except asyncio.IncompleteReadError:
            log.debug("peer closed the stream")
            return
        except asyncio.CancelledError:
            log.debug("frame reader cancelled")
            raise
        on_frame(payload)
