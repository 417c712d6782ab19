import asyncio
import logging

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


class LineProtocol(asyncio.Protocol):
    def __init__(self, handler) -> None:
        self._loop = asyncio.get_running_loop()
        self._handler = handler
        self._buffer = b""
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            task = self._loop.create_task(self._reply(line.decode()))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)

    async def _reply(self, line: str) -> None:
        answer = await self._handler(line)
        if self._transport is not None:
            self._transport.write(answer.encode() + b"\n")
