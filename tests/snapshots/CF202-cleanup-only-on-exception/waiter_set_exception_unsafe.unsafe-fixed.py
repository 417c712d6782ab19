import asyncio
import itertools
import json
import logging

log = logging.getLogger(__name__)


class JsonRpcConnection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future] = {}

    async def call(self, method: str, **params) -> object:
        request_id = next(self._ids)
        waiter = asyncio.get_running_loop().create_future()
        self._pending[request_id] = waiter
        try:
            message = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
            self._writer.write(json.dumps(message).encode() + b"\n")
            await self._writer.drain()
        except BaseException as exc:
            self._writer.close()
            waiter.set_exception(exc)
            raise
        return await waiter
