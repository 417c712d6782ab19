import aiohttp

from thermo_api import ThermostatApi


async def read_setpoints(host: str) -> list[float]:
    session = aiohttp.ClientSession()
    try:
        api = ThermostatApi(host, session)
        try:
            zones = await api.zones()
            setpoints = [await api.setpoint(zone) for zone in zones]
        finally:
            await api.close()
    finally:
        await session.close()
    return setpoints
