"""`break` on cancellation leads straight to the end of the task: the `break` becomes
`raise` (unsafe)."""

import asyncio


async def listen(ws, on_message) -> None:
    while True:
        try:
            message = await ws.recv()
        except asyncio.CancelledError:
            raise
        await on_message(message)
