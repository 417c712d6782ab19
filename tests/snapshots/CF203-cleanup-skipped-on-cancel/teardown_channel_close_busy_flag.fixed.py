class RpcChannel:
    def __init__(self, connection) -> None:
        self._connection = connection
        self._channel = None
        self._busy = False

    async def call(self, request: bytes) -> bytes:
        self._channel = await self._connection.channel()
        try:
            self._busy = True
            reply = await self._channel.roundtrip(request)
        finally:
            self._channel.close()
            self._channel = None
            self._busy = False
        return reply
