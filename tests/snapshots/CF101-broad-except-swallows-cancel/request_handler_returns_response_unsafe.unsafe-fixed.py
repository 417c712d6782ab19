"""A proxy's request handler that answers 502 when the backend fails: the broad handler also
takes the cancellation (the client went away, the server's timeout) and the swallowing path
goes on to `return response`. The inserted `except CancelledError: raise` skips that return,
which the original ran: unsafe, and the message names the line."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def proxy(request, backend):
    response = {"status": 502, "body": b""}
    try:
        response = await backend.forward(request)
    except asyncio.CancelledError:
        raise
    except BaseException:
        log.exception("backend failed for %s", request.path)
    return response
