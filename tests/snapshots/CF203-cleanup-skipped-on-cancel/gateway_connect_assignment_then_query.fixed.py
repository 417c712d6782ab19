import logging

import pyotgw

log = logging.getLogger(__name__)


async def read_gateway_about(device: str) -> str | None:
    gateway = pyotgw.OpenThermGateway()
    status = await gateway.connect(device)
    try:
        about = await gateway.get_about()
    finally:
        await gateway.disconnect()
    if not status:
        raise ConnectionError(f"no OpenTherm gateway on {device}")
    log.debug("gateway on %s: %s", device, about)
    return about
