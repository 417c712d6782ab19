import asyncio
import itertools
import json


class RpcClient:
    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}

    async def call(self, method: str, params: dict, timeout: float = 10.0):
        request_id = next(self._ids)
        reply = asyncio.get_running_loop().create_future()
        self._pending[request_id] = reply
        message = {"id": request_id, "method": method, "params": params}
        try:
            self._writer.write(json.dumps(message).encode() + b"\n")
            await self._writer.drain()
            result = await asyncio.wait_for(reply, timeout)
        except asyncio.TimeoutError:
            del self._pending[request_id]
            raise
        except asyncio.CancelledError:
            del self._pending[request_id]
            raise
        return result
