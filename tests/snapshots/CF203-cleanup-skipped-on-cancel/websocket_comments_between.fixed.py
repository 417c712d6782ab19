import logging
from collections.abc import Iterator

import aiohttp

log = logging.getLogger(__name__)


def chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SnapshotPusher:
    def __init__(self, session: aiohttp.ClientSession, client_id: str):
        self._session = session
        self._client_id = client_id

    async def push_snapshot(self, url: str, snapshot: list[dict]) -> str:
        ws = await self._session.ws_connect(url, heartbeat=20)
        try:
            # The server expects a hello frame before any data.
            await ws.send_json({"type": "hello", "client": self._client_id})
            ack = await ws.receive_json()  # {"type": "ack", "session": "..."}
            log.debug("snapshot session %s", ack.get("session"))

            # Chunk the snapshot so that no frame exceeds the server limit.
            for part in chunks(snapshot, 500):
                await ws.send_json({"type": "data", "items": part})
        finally:
            # Tell the server we are done, then hang up.
            await ws.close()  # sends a normal-closure frame
        return ack["session"]
