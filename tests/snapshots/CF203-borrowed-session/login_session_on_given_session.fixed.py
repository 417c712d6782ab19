from solarlink import InverterApi


async def read_device_info(session, url: str, password: str) -> dict:
    inverter = InverterApi(session, url, password)
    # The inverter allows a handful of login sessions at a time.
    await inverter.new_session()
    try:
        info = await inverter.device_info()
    finally:
        await inverter.close_session()
    return info
