"""A one-line suppress, as written by ruff's SIM105 fix."""

import asyncio


async def stop_watchdog(watchdog: asyncio.Task) -> None:
    watchdog.cancel()
    await asyncio.wait([watchdog])
    if not watchdog.cancelled():
        watchdog.result()
