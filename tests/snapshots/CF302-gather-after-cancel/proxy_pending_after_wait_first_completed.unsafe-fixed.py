import asyncio
import logging

log = logging.getLogger(__name__)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(65536):
        writer.write(data)
        await writer.drain()


async def relay(client, upstream) -> None:
    """Copy bytes both ways until one side closes, then stop the other direction."""
    (client_reader, client_writer), (up_reader, up_writer) = client, upstream
    directions = {
        asyncio.create_task(pipe(client_reader, up_writer)),
        asyncio.create_task(pipe(up_reader, client_writer)),
    }
    done, pending = await asyncio.wait(directions, return_when=asyncio.FIRST_COMPLETED)
    for task in pending:
        task.cancel()
    await asyncio.gather(
        *pending,
        return_exceptions=True
    )  # the other direction stops too
    log.debug("relay finished: %d direction(s) completed", len(done))
