import asyncio
import logging

log = logging.getLogger(__name__)


async def poll_status(client, job_id: str, interval: float = 5.0) -> str:
    while True:
        try:
            status = await client.get_status(job_id)
        except Exception:
            # Exception does not catch CancelledError on 3.8+.
            log.exception("status poll for %s failed", job_id)
            await asyncio.sleep(interval)
            continue
        if status in ("done", "failed"):
            return status
        await asyncio.sleep(interval)
