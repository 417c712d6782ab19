"""An RPC client: each call registers a waiter and deletes it if the wait fails. close()
cancels the reader and callers and replaces the registry with a fresh one, so a caller
cancelled by close() finds its entry gone: the widened handler's `del` would raise
KeyError instead of the CancelledError. The fix is unsafe."""

import asyncio
import itertools


class RpcClient:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._ids = itertools.count()
        self._pending: dict[int, asyncio.Future[bytes]] = {}

    async def call(self, payload: bytes, timeout: float = 5.0) -> bytes:
        request_id = next(self._ids)
        waiter = asyncio.get_running_loop().create_future()
        self._pending[request_id] = waiter
        try:
            self._writer.write(request_id.to_bytes(4, "big") + payload)
            await self._writer.drain()
            reply = await asyncio.wait_for(waiter, timeout)
        except BaseException:
            del self._pending[request_id]
            raise
        del self._pending[request_id]
        return reply

    def close(self) -> None:
        for waiter in self._pending.values():
            waiter.cancel()
        self._pending = {}
        self._writer.close()
