from tickerfeed import TickerStream


async def first_quotes(session, symbols: list[str], count: int) -> list[dict]:
    stream = TickerStream("wss://feed.example.net/v2", session=session)
    await stream.connect()
    try:
        await stream.subscribe(symbols)
        quotes = [await stream.receive() for _ in range(count)]
    finally:
        await stream.disconnect()
    return quotes
