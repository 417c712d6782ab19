import asyncio
import logging

log = logging.getLogger(__name__)


async def metrics_loop(collector, sink, interval: float = 15.0) -> None:
    while True:
        try:
            sample = await collector.collect()
            await sink.write(sample)
        except asyncio.CancelledError:
            raise
        except BaseException:
            log.exception("metrics flush failed")
        await asyncio.sleep(interval)
