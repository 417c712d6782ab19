"""A poller that shrugs off a cancellation and polls again while its client is connected,
then logs that it stopped: the `raise` also skips that log line after the loop, which the
swallowing path ran. A fix that skips a line the original ran is never safe: unsafe."""

import asyncio
import logging

log = logging.getLogger(__name__)


async def poll(client) -> None:
    while client.connected:
        try:
            await client.refresh()
        except asyncio.CancelledError:
            log.debug("poll cancelled, polling again")
            raise
    log.info("poller for %s stopped", client)
