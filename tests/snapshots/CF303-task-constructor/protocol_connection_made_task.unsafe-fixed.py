"""A protocol starts its handshake from the synchronous `connection_made` callback."""

import asyncio

_background_tasks: set[object] = set()


class ClientProtocol(asyncio.Protocol):
    def __init__(self, credentials) -> None:
        self._credentials = credentials
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self._transport = transport
        task = asyncio.Task(self._handshake())
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)

    async def _handshake(self) -> None:
        assert self._transport is not None
        self._transport.write(self._credentials)
