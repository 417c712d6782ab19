import asyncio
import logging

from .connections import QueueSettings, open_pool

log = logging.getLogger(__name__)


async def queue_depth(settings: QueueSettings, queue: str) -> int:
    pool = await open_pool(settings)
    try:
        depth = await pool.llen(queue)
        log.info("%s holds %d jobs", queue, depth)
    finally:
        await pool.close()
    return depth


def check_queue(settings: QueueSettings, queue: str, limit: int) -> bool:
    """Whether the queue is below `limit`; for health checks of the worker."""
    return asyncio.run(queue_depth(settings, queue)) < limit
