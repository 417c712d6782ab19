"""A bound tuple with a starred collection, all cancelled, then awaited one by one under
`suppress` without waiting for them first: the caller's cancellation is swallowed there."""

import asyncio


async def stop_all(listen_task, setup_tasks) -> None:
    listen_task.cancel()
    platform_tasks = list(setup_tasks.values())
    for task in platform_tasks:
        task.cancel()
    tasks = (listen_task, *platform_tasks)
    for task in tasks:
        await asyncio.wait([task])
        if not task.cancelled():
            task.result()
