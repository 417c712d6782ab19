import asyncio


class RPCError(RuntimeError):
    pass


class RPCClient:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._next_id = 0

    async def call(self, method: str, payload: bytes) -> bytes:
        self._next_id += 1
        request_id = self._next_id
        self._writer.write(b"%d %s " % (request_id, method.encode()) + payload + b"\n")
        try:
            await self._writer.drain()
            return await self._reader.readline()
        except asyncio.CancelledError as exc:
            raise RuntimeError(f"call {method} #{request_id} was interrupted") from exc
        except ConnectionError as exc:
            raise RPCError(f"connection lost during {method}") from exc
