from .http import request


async def firmware_header(session, url: str) -> bytes:
    resp = await request("GET", url, session=session)
    try:
        header = await resp.content.read(512)
    finally:
        resp.close()
    return header
