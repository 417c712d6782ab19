import asyncio


async def collect(stream, log):
    try:
        items = [x async for x in stream]  # a cancellation point
    except asyncio.CancelledError:
        raise
    except BaseException:
        log.warning("stream failed")
        items = []
    return items
