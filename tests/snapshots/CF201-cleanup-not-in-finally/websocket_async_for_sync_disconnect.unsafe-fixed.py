import logging

from websockets.exceptions import ConnectionClosedError

log = logging.getLogger(__name__)


class TickerClient:
    def __init__(self, ws, store) -> None:
        self.ws = ws
        self.store = store
        self.received = 0

    def disconnect(self) -> None:
        self.ws.transport.abort()

    async def run(self) -> None:
        try:
            async for message in self.ws:
                self.store.apply(message)
                self.received += 1
        except ConnectionClosedError as exc:
            log.warning("ticker stream closed abnormally (code %s)", exc.code)
        finally:
            self.disconnect()
