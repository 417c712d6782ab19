import asyncio
import logging

log = logging.getLogger(__name__)


async def best_effort_flush(buffer, sink, deadline: float) -> int:
    task = asyncio.current_task()
    handle = asyncio.get_running_loop().call_later(deadline, task.cancel)
    try:
        await sink.write_many(buffer)
        return len(buffer)
    except BaseException:
        # Our own deadline fired: withdraw that cancel request and report nothing flushed.
        task.uncancel()
        log.warning("flush of %d items hit the deadline", len(buffer))
        return 0
    finally:
        handle.cancel()
