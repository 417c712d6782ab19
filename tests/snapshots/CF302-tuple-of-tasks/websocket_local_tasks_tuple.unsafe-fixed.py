"""A websocket session runs its heartbeat and reader as local tasks until the peer closes,
then cancels both over a tuple and gathers them."""

import asyncio


async def serve_session(ws, handler) -> None:
    heartbeat = asyncio.create_task(ws.heartbeat_forever(interval=15))
    reader = asyncio.create_task(handler.read_forever(ws))
    await ws.wait_closed()
    for task in (heartbeat, reader):
        task.cancel()
    await asyncio.gather(heartbeat, reader, return_exceptions=True)
    await handler.session_ended(ws)
