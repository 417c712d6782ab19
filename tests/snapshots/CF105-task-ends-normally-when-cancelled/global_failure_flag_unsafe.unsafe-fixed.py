"""The handler sets a module-level flag before it swallows: leaving that out on cancellation
changes what other code sees, so the fix is unsafe."""

import asyncio

sync_failed = False


async def sync_once(client) -> None:
    global sync_failed
    try:
        await client.push_pending()
        sync_failed = False
    except asyncio.CancelledError:
        sync_failed = True
        raise
    except BaseException:
        sync_failed = True
