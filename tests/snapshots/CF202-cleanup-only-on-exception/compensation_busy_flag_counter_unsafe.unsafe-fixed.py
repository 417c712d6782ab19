class Channel:
    def __init__(self, stream) -> None:
        self._stream = stream
        self._busy = False
        self.failures = 0

    async def call(self, request: bytes) -> bytes:
        self._busy = True
        try:
            await self._stream.write(request)
            reply = await self._stream.read()
        except BaseException:
            self._busy = False
            self.failures += 1
            raise
        self._busy = False
        return reply
