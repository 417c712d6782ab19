# cancelfix: target-version=py311
"""A supervisor that restarts its worker in a loop: after swallowing a cancellation of the
caller while it waits, the original goes round and starts a new worker; the fix would stop
instead, so it is unsafe."""

import asyncio


async def supervise(make_worker, restarts):
    for _ in range(restarts):
        worker = asyncio.create_task(make_worker())
        worker.cancel()
        cancelling = asyncio.current_task().cancelling()
        try:
            await worker
        except asyncio.CancelledError:
            if not worker.done() or asyncio.current_task().cancelling() > cancelling:
                raise
