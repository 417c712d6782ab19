"""Only third-party and first-party imports at the top, and an optional one in a `try`."""

import asyncio

import aiohttp

from app.models import Event

try:
    import orjson as json
except ImportError:
    import json


async def post(session: aiohttp.ClientSession, event: Event) -> None:
    try:
        await session.post(event.url, data=json.dumps(event.payload))
    except asyncio.CancelledError:
        raise
    except:
        pass
