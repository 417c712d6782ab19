import asyncio
import logging

log = logging.getLogger(__name__)


class ProtocolError(Exception):
    pass


async def read_message(reader: asyncio.StreamReader) -> bytes:
    try:
        header = await reader.readexactly(4)
        size = int.from_bytes(header, "big")
        if size > 16 * 1024 * 1024:
            raise ProtocolError(f"frame too large: {size}")
        return await reader.readexactly(size)
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        log.debug("read failed: %r", exc)
        raise ProtocolError("connection broken while reading a frame") from exc
