import asyncio
import logging

log = logging.getLogger(__name__)


async def gather_finished(tasks: list[asyncio.Task], timeout: float) -> list[object]:
    done, pending = await asyncio.wait(tasks, timeout=timeout)
    for task in pending:
        task.cancel()
    results = []
    for task in done:
        try:
            results.append(task.result())
        except asyncio.CancelledError:
            log.info("task %s was cancelled", task.get_name())
        except Exception:
            log.exception("task %s failed", task.get_name())
    return results
