import asyncio

from .transport import AuthError, ws_connect


async def open_reader(session, url: str):
    ws = await ws_connect(url, session=session)
    try:
        hello = await ws.receive_json()
    except (OSError, AuthError):
        await ws.close()
        raise
    except asyncio.CancelledError:
        await ws.close()
        raise
    return ws, hello
