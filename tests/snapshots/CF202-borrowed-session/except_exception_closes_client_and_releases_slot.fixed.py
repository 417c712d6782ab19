import asyncio

from plantbus import PlantBusApi

_probes = asyncio.Semaphore(4)


async def validate_host(session, host: str) -> str:
    api = PlantBusApi(host, session=session)
    await _probes.acquire()
    try:
        info = await api.device_info()
    except BaseException:
        await api.close()
        _probes.release()
        raise
    _probes.release()
    return info["serial"]
