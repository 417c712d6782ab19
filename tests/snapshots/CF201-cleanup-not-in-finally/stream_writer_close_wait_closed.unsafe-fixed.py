import asyncio
import logging

log = logging.getLogger(__name__)

PROMPT = b"> "


async def serve_console(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    peer = writer.get_extra_info("peername")
    try:
        writer.write(PROMPT)
        await writer.drain()
        while line := await reader.readline():
            reply = line.strip().upper() + b"\n"
            writer.write(reply + PROMPT)
            await writer.drain()
        log.info("console client %s hung up", peer)
    except (ConnectionResetError, asyncio.IncompleteReadError):
        log.warning("console client %s dropped the connection", peer)
    finally:
        writer.close()
        await writer.wait_closed()
