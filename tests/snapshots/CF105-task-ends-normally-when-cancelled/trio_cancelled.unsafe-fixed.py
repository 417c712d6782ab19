import logging

import trio

log = logging.getLogger(__name__)


async def pump(receive_channel: trio.MemoryReceiveChannel, stream: trio.abc.Stream) -> None:
    """Forward messages from a channel to a stream until the channel closes."""
    sent = 0
    async with receive_channel:
        try:
            async for message in receive_channel:
                await stream.send_all(message)
                sent += 1
        except trio.Cancelled:
            log.info("pump cancelled after %d messages", sent)
            raise
