from .transport import ws_connect


async def latest_reading(session, url: str) -> dict:
    ws = await ws_connect(url, session=session)
    try:
        reading = await ws.receive_json()
    except BaseException:
        await ws.close()
        raise
    await ws.close()
    return reading
