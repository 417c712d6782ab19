import asyncio
import logging

log = logging.getLogger(__name__)


async def call_backend(client, request):
    try:
        return await client.send(request)
    except BaseException as exc:
        match exc:
            case ConnectionResetError():
                log.warning("backend reset the connection")
                raise
            case asyncio.TimeoutError():
                log.warning("backend timed out")
                raise
            case _:
                await client.close()
                raise
