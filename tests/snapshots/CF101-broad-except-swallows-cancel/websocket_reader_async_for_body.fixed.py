import asyncio
import json
import logging

import aiohttp

log = logging.getLogger(__name__)


async def read_events(session: aiohttp.ClientSession, url: str, dispatch) -> None:
    async with session.ws_connect(url, heartbeat=20) as ws:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                event = json.loads(msg.data)
                await dispatch(event["type"], event.get("data"))
            except asyncio.CancelledError:
                raise
            except BaseException:
                log.exception("could not handle event %.200r", msg.data)
