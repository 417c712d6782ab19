import asyncio
import concurrent.futures
import logging

log = logging.getLogger(__name__)


async def hash_files(paths: list[str], executor: concurrent.futures.ProcessPoolExecutor, digest) -> dict:
    loop = asyncio.get_running_loop()
    results: dict[str, str | None] = {}
    for path in paths:
        try:
            results[path] = await loop.run_in_executor(executor, digest, path)
        except concurrent.futures.CancelledError:
            log.warning("hashing %s was cancelled by the pool", path)
            results[path] = None
        except OSError as exc:
            log.error("cannot read %s: %s", path, exc)
            results[path] = None
    return results
