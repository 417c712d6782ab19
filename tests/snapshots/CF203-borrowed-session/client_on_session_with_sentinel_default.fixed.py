from tidewatch import TideClient

_SHARED = object()


async def fetch_tides(station: str, *, session=_SHARED) -> dict:
    client = TideClient(station, session=session)
    try:
        heights = await client.heights(days=2)
    finally:
        await client.close()
    return {"heights": heights}
