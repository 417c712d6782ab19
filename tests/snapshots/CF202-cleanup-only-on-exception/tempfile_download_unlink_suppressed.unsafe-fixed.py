import asyncio
import contextlib
import logging
import os
from pathlib import Path

import aiohttp

log = logging.getLogger(__name__)


async def download(session: aiohttp.ClientSession, url: str, dest: Path) -> Path:
    part = dest.with_name(dest.name + ".part")
    try:
        async with session.get(url) as resp:
            resp.raise_for_status()
            with open(part, "wb") as fh:
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    fh.write(chunk)
    except BaseException:
        log.exception("download of %s failed", url)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part)
        raise
    os.replace(part, dest)
    return dest
