import asyncio
import logging

from aiohttp import web

log = logging.getLogger(__name__)


async def serve_metrics(app: web.Application, host: str, port: int, stop: asyncio.Event) -> None:
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        log.info("metrics endpoint listening on http://%s:%d/metrics", host, port)
        await stop.wait()
    except OSError:
        log.exception("could not bind metrics endpoint to %s:%d", host, port)
        raise
    finally:
        await runner.cleanup()
