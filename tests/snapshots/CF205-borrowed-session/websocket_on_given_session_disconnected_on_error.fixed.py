import asyncio

from tickerfeed import FeedError, TickerStream


async def open_feed(session, symbols: list[str]) -> TickerStream:
    stream = TickerStream("wss://feed.example.net/v2", session=session)
    await stream.connect()
    try:
        await stream.subscribe(symbols)
        await stream.receive_ack()
    except (FeedError, OSError):
        await stream.disconnect()
        raise
    except asyncio.CancelledError:
        await stream.disconnect()
        raise
    return stream
