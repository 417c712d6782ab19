import asyncio


class StreamReset(Exception):
    pass


class H2Connection:
    def __init__(self, conn, transport: asyncio.Transport, new_queue=asyncio.Queue) -> None:
        self._conn = conn
        self._transport = transport
        self._new_queue = new_queue
        self._streams: dict[int, asyncio.Queue] = {}

    async def request(self, headers: list[tuple[str, str]]) -> bytes:
        stream_id = self._conn.get_next_available_stream_id()
        events: asyncio.Queue = self._new_queue()
        self._streams[stream_id] = events
        try:
            self._conn.send_headers(stream_id, headers, end_stream=True)
            self._transport.write(self._conn.data_to_send())
            body = await events.get()
        except (StreamReset, ConnectionResetError):
            self._streams.pop(stream_id, None)
            raise
        except asyncio.CancelledError:
            self._streams.pop(stream_id, None)
            raise
        self._streams.pop(stream_id, None)
        return body
