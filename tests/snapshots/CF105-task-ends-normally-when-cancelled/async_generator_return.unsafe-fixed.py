import asyncio
import json
from collections.abc import AsyncIterator


async def stream_events(reader: asyncio.StreamReader) -> AsyncIterator[dict]:
    """Yield server-sent events parsed from a stream until the server closes it."""
    buffer: list[str] = []
    while not reader.at_eof():
        try:
            raw = await reader.readline()
        except asyncio.CancelledError:
            raise
        line = raw.decode().rstrip("\r\n")
        if line.startswith("data:"):
            buffer.append(line[5:].lstrip())
        elif not line and buffer:
            yield json.loads("\n".join(buffer))
            buffer.clear()
