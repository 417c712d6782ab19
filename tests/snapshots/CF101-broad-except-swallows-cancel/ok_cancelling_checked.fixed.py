import asyncio
import logging

log = logging.getLogger(__name__)


async def supervise(make_worker, name: str) -> None:
    while True:
        try:
            await make_worker()
        except BaseException:
            if asyncio.current_task().cancelling():
                raise
            log.exception("worker %s crashed, restarting", name)
        await asyncio.sleep(1)
