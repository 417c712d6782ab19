"""Every path of the `try` goes on to `transport.abort()`: the fix moves it into a `finally`,
so that the re-raised cancellation still aborts the transport."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def serve_connection(transport, reader: asyncio.StreamReader, handle) -> None:
    try:
        while data := await reader.read(4096):
            handle(data)
    except asyncio.CancelledError:
        raise
    except BaseException:
        log.exception("connection handler failed")
    finally:
        transport.abort()
