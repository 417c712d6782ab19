import asyncio
import json
import logging

log = logging.getLogger(__name__)


async def control_channel(ws, apply_command) -> None:
    """Apply commands from the control websocket; a "stop" command cancels this task."""
    while True:
        try:
            raw = await ws.recv()
        except asyncio.CancelledError:
            log.info("control channel closed")
            raise
        command = json.loads(raw)
        if command.get("type") == "stop":
            raise asyncio.CancelledError("stop requested by controller")
        await apply_command(command)
