import aiohttp

from tidewatch import TideClient


async def fetch_tides(station: str, session: aiohttp.ClientSession | None) -> dict:
    client = TideClient(station, session=session)
    try:
        heights = await client.heights(days=2)
    finally:
        await client.close()
    return {"heights": heights}
