from doorbird_like import DoorStation


async def next_ring(session, host: str) -> dict:
    station = DoorStation(host, session=session)
    await station.listen()
    try:
        event = await station.next_event()
    finally:
        await station.close()
    return event
