import logging
from asyncio import CancelledError as CE
from asyncio import Queue

log = logging.getLogger(__name__)


class LogShipper:
    def __init__(self, sink, queue: Queue) -> None:
        self.sink = sink
        self.queue = queue
        self.shipped = 0

    async def ship(self) -> None:
        try:
            while True:
                record = await self.queue.get()
                await self.sink.write(record)
                self.shipped += 1
        except CE:
            log.info("log shipper stopped after %d records", self.shipped)
            raise
