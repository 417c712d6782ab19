import logging

log = logging.getLogger(__name__)


class Limiter:
    def __init__(self, transport) -> None:
        self._transport = transport
        self._in_flight = 0

    async def request(self, payload: bytes) -> bytes:
        self._in_flight += 1
        try:
            reply = await self._transport.roundtrip(payload)
        except BaseException:
            self._in_flight -= 1
            log.error("request failed with %d in flight", self._in_flight)
            raise
        self._in_flight -= 1
        return reply
