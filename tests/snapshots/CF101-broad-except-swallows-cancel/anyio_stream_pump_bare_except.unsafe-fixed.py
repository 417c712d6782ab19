import logging

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

log = logging.getLogger(__name__)


async def pump(source: ObjectReceiveStream, sink: ObjectSendStream, transform) -> int:
    forwarded = 0
    async with source, sink:
        try:
            async for item in source:
                await sink.send(transform(item))
                forwarded += 1
        except anyio.get_cancelled_exc_class():
            raise
        except:
            log.exception("pump stopped after %d items", forwarded)
    await anyio.lowlevel.checkpoint()
    return forwarded
