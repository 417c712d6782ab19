from doorbird_like import DoorStation


async def next_ring(session, host: str) -> dict | None:
    station = DoorStation(host, session=session)
    try:
        event = None
        async for event in station.events():
            break
    finally:
        await station.close()
    return event
