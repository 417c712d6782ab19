import asyncio
import itertools
import logging

log = logging.getLogger(__name__)


class RpcTimeout(Exception):
    pass


class RpcClient:
    def __init__(self, transport, timeout: float = 10.0):
        self._transport = transport
        self._timeout = timeout
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}

    def _expire(self, request_id: int) -> None:
        fut = self._pending.pop(request_id, None)
        if fut is not None and not fut.done():
            log.warning("request %d timed out after %.1fs", request_id, self._timeout)
            fut.set_exception(RpcTimeout(request_id))

    async def call(self, method: str, **params):
        loop = asyncio.get_running_loop()
        request_id = next(self._ids)
        timer = loop.call_later(self._timeout, self._expire, request_id)
        try:
            fut = loop.create_future()
            self._pending[request_id] = fut
            await self._transport.send({"id": request_id, "method": method, "params": params})
            result = await fut
        finally:
            timer.cancel()
        return result
