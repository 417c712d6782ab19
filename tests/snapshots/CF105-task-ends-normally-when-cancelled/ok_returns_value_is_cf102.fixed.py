"""The coroutine returns values: ending it without one hands its caller `None`. CF102's."""

import asyncio


async def read_config(client) -> dict | None:
    try:
        return await client.fetch("config")
    except asyncio.CancelledError:
        raise
    return None
