import asyncio
import logging

log = logging.getLogger(__name__)


async def handle_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    peer = writer.get_extra_info("peername")
    log.info("client %s connected", peer)
    try:
        while True:
            line = await reader.readline()
            if not line:
                break
            command, _, arg = line.decode().strip().partition(" ")
            if command == "PING":
                writer.write(b"PONG\n")
            else:
                writer.write(f"ERR unknown command {command!r}\n".encode())
            await writer.drain()
        writer.close()
        await writer.wait_closed()
    except asyncio.CancelledError:
        # Drop the connection; the client will reconnect.
        writer.close()
        raise
    except:
        log.exception("client %s: protocol error", peer)
        # Drop the connection; the client will reconnect.
        writer.close()
