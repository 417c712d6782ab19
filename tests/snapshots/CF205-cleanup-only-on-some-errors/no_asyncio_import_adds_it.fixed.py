import asyncio


class Session:
    def __init__(self, websocket) -> None:
        self._ws = websocket
        self._subscriptions: set[str] = set()

    async def join(self, room: str) -> None:
        self._subscriptions.add(room)
        try:
            await self._ws.send_json({"op": "join", "room": room})
            await self._ws.receive_json()
        except ConnectionError:
            self._subscriptions.discard(room)
            raise
        except asyncio.CancelledError:
            self._subscriptions.discard(room)
            raise
