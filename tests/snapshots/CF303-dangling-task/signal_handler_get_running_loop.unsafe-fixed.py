import asyncio
import logging
import signal

from aiohttp import web

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


class Server:
    def __init__(self, app: web.Application, port: int) -> None:
        self._runner = web.AppRunner(app)
        self._port = port
        self._stopped = asyncio.Event()

    async def serve(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, port=self._port)
        await site.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._on_signal, sig)
        await self._stopped.wait()

    def _on_signal(self, sig: signal.Signals) -> None:
        log.warning("received %s, shutting down", sig.name)
        task = asyncio.get_running_loop().create_task(self.shutdown())
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)

    async def shutdown(self) -> None:
        await self._runner.cleanup()
        self._stopped.set()
