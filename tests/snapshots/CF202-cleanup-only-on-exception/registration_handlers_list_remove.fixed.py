class Gateway:
    def __init__(self, ws) -> None:
        self._ws = ws
        self._handlers: list = []

    async def add_handler(self, handler, event: str) -> None:
        self._handlers.append(handler)
        try:
            await self._ws.send_json({"op": "listen", "event": event})
        except BaseException:
            self._handlers.remove(handler)
            raise
