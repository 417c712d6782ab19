import asyncio
import logging
import signal

log = logging.getLogger(__name__)


async def serve(server) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(signum: int) -> None:
        try:
            log.info("got signal %s, shutting down", signal.Signals(signum).name)
            stop.set()
        except BaseException:
            pass

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal, signum)
    async with server:
        await stop.wait()
