import asyncio


class BackendError(Exception):
    pass


class Balancer:
    def __init__(self, backends) -> None:
        self._backends = backends
        self._in_flight = 0

    async def forward(self, request: bytes) -> bytes:
        backend = min(self._backends, key=lambda b: b.load)
        self._in_flight += 1
        try:
            reply = await backend.send(request)
        except (BackendError, ConnectionError):
            self._in_flight -= 1
            raise
        except asyncio.CancelledError:
            self._in_flight -= 1
            raise
        self._in_flight -= 1
        return reply
