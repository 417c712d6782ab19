import asyncio

from doorbird_like import DoorStation


async def next_ring(session, host: str, background: set[asyncio.Task]) -> dict:
    station = DoorStation(host, session=session)
    try:
        background.add(asyncio.create_task(station.run()))
        event = await station.events.get()
    finally:
        await station.close()
    return event
