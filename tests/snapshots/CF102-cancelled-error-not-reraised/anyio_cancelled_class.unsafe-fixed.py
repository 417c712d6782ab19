import logging

import anyio
from anyio.abc import ObjectReceiveStream

log = logging.getLogger(__name__)


async def consume(stream: ObjectReceiveStream[bytes], store) -> int:
    count = 0
    try:
        async with stream:
            async for item in stream:
                await store.append(item)
                count += 1
    except anyio.get_cancelled_exc_class():
        log.warning("consumer cancelled after %d items", count)
        await store.flush()
        raise
    return count
