import asyncio
import logging

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, ws, routes):
        self._ws = ws
        self._routes = routes

    async def run(self) -> None:
        while True:
            try:
                msg = await self._ws.recv()
            except asyncio.CancelledError:
                raise
            except BaseException:
                log.exception("recv failed, retrying")
                await asyncio.sleep(1)
                continue
            if msg == "server-shutdown":
                # The server told us to go away: stop as if we had been cancelled.
                raise asyncio.CancelledError("server shutdown")
            await self._routes.dispatch(msg)
