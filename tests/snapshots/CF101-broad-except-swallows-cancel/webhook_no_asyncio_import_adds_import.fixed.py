"""Deliver webhooks to subscriber endpoints."""

from __future__ import annotations

import asyncio
import logging

import aiohttp

log = logging.getLogger(__name__)


async def deliver(session: aiohttp.ClientSession, endpoint: str, event: dict) -> bool:
    try:
        async with session.post(endpoint, json=event) as resp:
            if resp.status >= 400:
                log.warning("webhook %s answered %s", endpoint, resp.status)
                return False
            return True
    except asyncio.CancelledError:
        raise
    except BaseException:
        log.exception("webhook delivery to %s failed", endpoint)
        return False
