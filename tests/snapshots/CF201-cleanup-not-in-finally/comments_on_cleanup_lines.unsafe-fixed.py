import asyncio
import logging

log = logging.getLogger(__name__)


class FeedForwarder:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)

    async def forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(4096):
                writer.write(chunk)
                await writer.drain()
        except ConnectionResetError:
            log.info("upstream %s:%d reset the connection", *self.upstream)
        finally:
            # Half-close first so the far side sees EOF instead of a reset.
            writer.close()  # the transport flushes pending data before closing
            await writer.wait_closed()  # may wait for the peer's FIN
