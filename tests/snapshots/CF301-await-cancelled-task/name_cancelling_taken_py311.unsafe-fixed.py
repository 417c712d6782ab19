# cancelfix: target-version=py311
"""A function that already uses the name `cancelling`."""

import asyncio


async def restart(service):
    cancelling = service.state == "stopping"
    service.runner.cancel()
    task = service.runner
    cancelling_1 = asyncio.current_task().cancelling()
    try:
        await task
    except asyncio.CancelledError:
        if not task.done() or asyncio.current_task().cancelling() > cancelling_1:
            raise
    if not cancelling:
        service.runner = asyncio.create_task(service.run())
