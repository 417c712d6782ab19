import asyncio
import logging

log = logging.getLogger(__name__)


async def collect_replies(ws, expected: int, timeout: float) -> list[dict]:
    """Gather up to `expected` replies from a websocket, returning what arrived."""
    replies: list[dict] = []
    try:
        async with asyncio.timeout(timeout):
            async for message in ws:
                replies.append(message.json())
                if len(replies) >= expected:
                    break
    except TimeoutError:
        log.warning("only %d/%d replies before timeout", len(replies), expected)
    except asyncio.CancelledError:
        log.warning("cancelled with %d/%d replies", len(replies), expected)
        raise
    return replies
