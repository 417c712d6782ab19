"""An event-stream request handler, which the server cancels when the client goes away: the
swallowing path logs, the `finally` unsubscribes, and `return response` hands the prepared
response back to the server. Appending `raise` skips that return, which the original ran on
the cancellation path: the fix is unsafe, and its message names the line it skips."""

import asyncio
import logging

_LOGGER = logging.getLogger(__name__)


async def stream_events(request, hub, response):
    await response.prepare(request)
    subscription = hub.subscribe()
    try:
        while True:
            event = await subscription.get()
            await response.write(f"data: {event}\n\n".encode())
    except asyncio.CancelledError:
        _LOGGER.debug("stream %s closed by the client", id(response))
        raise
    finally:
        hub.unsubscribe(subscription)
    return response
