import asyncio
import logging

import nats

log = logging.getLogger(__name__)


async def wait_for_ready(nc: nats.NATS, subject: str, expected: set[str]) -> set[str]:
    sub = await nc.subscribe(subject)
    seen: set[str] = set()
    try:
        async for msg in sub.messages:
            seen.add(msg.data.decode())
            if seen >= expected:
                break
    except BaseException:
        log.exception("waiting for %s on %s failed", sorted(expected - seen), subject)
        await sub.unsubscribe()
        raise
    log.info("all of %s ready", sorted(expected))
    return seen
