import json


class Session:
    def __init__(self, ws, session_id: str) -> None:
        self._ws = ws
        self._session_id = session_id
        self.connected = True

    async def disconnect(self) -> None:
        try:
            await self._ws.send(json.dumps({"op": "bye", "session": self._session_id}))
        finally:
            await self._ws.disconnect()
            self.connected = False
