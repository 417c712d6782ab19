"""Webhook relay: a docstring, `__future__`, then stdlib, third-party and first-party imports."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable

import aiohttp
from yarl import URL

from relay.config import Settings

log = logging.getLogger(__name__)


async def relay(
    session: aiohttp.ClientSession, url: URL, settings: Settings, body: Awaitable[bytes]
) -> None:
    try:
        await session.post(url, data=json.dumps(await body), timeout=settings.timeout)
    except asyncio.CancelledError:
        raise
    except BaseException:
        log.exception("relay to %s failed", url)
