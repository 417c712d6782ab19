"""A wrapper for fire-and-forget jobs: it returns the job's result, and `None` when the job
failed. A cancellation ends it with `None` like a failure does, so callers already handle
that result: swallow-then-end (CF105), not a partial result handed on (CF102)."""

import asyncio
import logging

log = logging.getLogger(__name__)


class JobRunner:
    async def guarded(self, job, timeout: float = 30.0):
        try:
            return await asyncio.wait_for(job(), timeout)
        except asyncio.TimeoutError:
            log.warning("job %r timed out", job)
        except asyncio.CancelledError:
            log.debug("job %r cancelled", job)
            raise
        return None
