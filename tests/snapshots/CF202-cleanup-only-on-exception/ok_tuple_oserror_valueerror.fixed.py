import asyncio
import logging

import aiohttp

log = logging.getLogger(__name__)


async def fetch_manifest(base_url: str) -> dict:
    session = aiohttp.ClientSession()
    try:
        async with session.get(f"{base_url}/manifest.json") as resp:
            manifest = await resp.json(content_type=None)
    except (OSError, ValueError):
        await session.close()
        raise
    except asyncio.CancelledError:
        await session.close()
        raise
    manifest["_session"] = session
    return manifest
