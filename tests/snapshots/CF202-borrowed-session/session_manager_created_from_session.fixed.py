from .http import create_session_manager


async def connect(config, session=None):
    manager = await create_session_manager(session)
    device = config.device_class(config, manager)
    try:
        await device.handshake()
        await device.connect()
    except BaseException:
        await manager.close()
        raise
    return device
