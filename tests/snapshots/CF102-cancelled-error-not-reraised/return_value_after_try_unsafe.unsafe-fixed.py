"""The swallowing path goes on to `return response` after the `try`: the coroutine hands its
caller a result. Appending `raise` drops that return on cancellation, which is the point of
the fix, but it skips code the original ran: the fix is unsafe, never safe."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def forward(session, request, timeout: float):
    response = {"status": 504, "body": b""}
    try:
        response = await asyncio.wait_for(session.send(request), timeout)
    except asyncio.CancelledError:
        log.info("client went away")
        raise
    finally:
        await session.release()
    return response
