import asyncio
import json
import logging

log = logging.getLogger(__name__)


async def handle_line(line: bytes, out: asyncio.Queue) -> None:
    try:
        message = json.loads(line)
        kind = message["type"]
    except BaseException:
        log.warning("dropping malformed line %.100r", line)
        return
    await out.put((kind, message.get("data")))
