from tidewatch import TideClient


async def fetch_tides(station: str) -> dict:
    client = TideClient(station)
    try:
        heights = await client.heights(days=2)
        extremes = await client.extremes(days=2)
    finally:
        await client.close()
    return {"heights": heights, "extremes": extremes}
