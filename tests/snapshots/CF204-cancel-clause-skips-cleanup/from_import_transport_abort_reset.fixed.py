from asyncio import CancelledError, get_running_loop


class Link:
    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._transport = None

    async def open(self, factory) -> None:
        self._transport, protocol = await get_running_loop().create_connection(
            factory, self._host, self._port
        )
        try:
            await protocol.handshake()
        except CancelledError:
            self._transport.abort()
            self._transport = None
            raise
        except Exception:
            self._transport.abort()
            self._transport = None
            raise
