"""Background jobs stopped one by one on application shutdown."""

import asyncio


async def cleanup_background_jobs(app):
    cancelled = []
    for job in app["background_jobs"]:
        job.cancel()
        cancelled.append(job)
    for job in cancelled:
        await asyncio.wait([job])
        if not job.cancelled():
            job.result()
    app["background_jobs"].clear()
