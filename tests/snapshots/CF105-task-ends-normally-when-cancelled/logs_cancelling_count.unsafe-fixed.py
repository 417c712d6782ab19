import asyncio
import logging

log = logging.getLogger(__name__)


async def tail_file(path: str, on_line, poll: float = 0.5) -> None:
    """Follow a growing log file, like `tail -f`."""
    with open(path, encoding="utf-8") as handle:
        handle.seek(0, 2)
        while True:
            try:
                line = handle.readline()
                if not line:
                    await asyncio.sleep(poll)
                    continue
                await on_line(line.rstrip("\n"))
            except asyncio.CancelledError:
                task = asyncio.current_task()
                log.info("stopped tailing %s (pending cancellations: %d)", path, task.cancelling())
                raise
