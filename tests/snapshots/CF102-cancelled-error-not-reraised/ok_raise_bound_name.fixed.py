import asyncio
import logging

log = logging.getLogger(__name__)


class StreamReader:
    def __init__(self, ws) -> None:
        self.ws = ws
        self.messages: list[str] = []

    async def read_all(self) -> list[str]:
        try:
            async for message in self.ws:
                self.messages.append(message)
        except asyncio.CancelledError as exc:
            log.debug("reader cancelled: %r (%d messages)", exc.args, len(self.messages))
            raise exc
        return self.messages
