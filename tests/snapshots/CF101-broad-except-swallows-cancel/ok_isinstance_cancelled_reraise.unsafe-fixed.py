import asyncio
import logging

log = logging.getLogger(__name__)


async def consume(stream, handle) -> None:
    async for event in stream:
        try:
            await handle(event)
        except BaseException as exc:
            if isinstance(exc, asyncio.CancelledError):
                raise
            log.exception("handler failed for %r", event)
