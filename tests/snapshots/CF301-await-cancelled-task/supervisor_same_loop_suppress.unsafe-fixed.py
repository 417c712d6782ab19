"""Background jobs stopped one by one on application shutdown."""

import asyncio


async def cleanup_background_jobs(app):
    for job in app["background_jobs"]:
        job.cancel()
        await asyncio.wait([job])
        if not job.cancelled():
            job.result()
    app["background_jobs"].clear()
