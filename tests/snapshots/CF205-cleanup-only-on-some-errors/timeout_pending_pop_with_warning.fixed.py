import asyncio
import logging

log = logging.getLogger(__name__)


class RpcClient:
    def __init__(self, writer) -> None:
        self._writer = writer
        self._pending: dict[int, asyncio.Future] = {}

    async def request(self, request_id: int, payload: bytes, timeout: float) -> bytes:
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        self._writer.write(payload)
        try:
            await self._writer.drain()
            return await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            log.warning("request %d timed out", request_id)
            self._pending.pop(request_id, None)
            raise
        except asyncio.CancelledError:
            self._pending.pop(request_id, None)
            raise
