import asyncio
import contextlib
import logging
import struct

log = logging.getLogger(__name__)

PROTOCOL_VERSION = 3


class HandshakeError(Exception):
    pass


class Session:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer


async def open_session(host: str, port: int, token: bytes) -> Session:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(struct.pack("!HH", PROTOCOL_VERSION, len(token)) + token)
        await writer.drain()
        reply = await asyncio.wait_for(reader.readexactly(4), timeout=5)
        version, status = struct.unpack("!HH", reply)
        if status != 0:
            raise HandshakeError(f"server {host}:{port} refused session: status {status}")
    except BaseException:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()
        raise
    log.info("session to %s:%d established (v%d)", host, port, version)
    return Session(reader, writer)
