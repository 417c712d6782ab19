import asyncio
import logging

logger = logging.getLogger(__name__)


async def watch_process(proc: asyncio.subprocess.Process, name: str) -> int | None:
    """Stream a child's stderr into the log until it exits."""
    assert proc.stderr is not None
    try:
        async for line in proc.stderr:
            logger.info("[%s] %s", name, line.decode(errors="replace").rstrip())
        return await proc.wait()
    except asyncio.CancelledError:
        # the supervisor is shutting down; nothing to report
        raise
    finally:
        if proc.returncode is None:
            proc.terminate()
    return None
