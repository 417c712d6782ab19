"""The handler clears the flag the connection loop tests, so the loop ends after this
request: the coroutine stops after the handler's error reply (CF105). Nothing but a log
line runs after the `try`, so appending `raise` skips nothing that matters."""

import asyncio
import logging

log = logging.getLogger(__name__)


class Connection:
    def __init__(self, reader, writer) -> None:
        self._reader = reader
        self._writer = writer
        self.keep_alive = True

    async def serve(self, handle) -> None:
        while self.keep_alive:
            request = await self._reader.readline()
            try:
                await handle(request, self._writer)
            except asyncio.CancelledError:
                self.keep_alive = False
                self._writer.write(b"503 shutting down\n")
                raise
            log.debug("request done: %r", request)
