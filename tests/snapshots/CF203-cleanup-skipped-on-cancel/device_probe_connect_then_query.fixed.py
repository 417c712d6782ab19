import logging

from devolo_plc_api import Device

log = logging.getLogger(__name__)


async def probe_device(ip_address: str, zeroconf, http_client) -> dict[str, str]:
    device = Device(ip_address, zeroconf_instance=zeroconf)
    await device.async_connect(session_instance=http_client)
    try:
        firmware = await device.device.async_get_firmware_version()
        leds = await device.device.async_get_led_setting()
    finally:
        await device.async_disconnect()
    log.debug("probed %s: firmware %s", ip_address, firmware)
    return {"serial": str(device.serial_number), "firmware": firmware, "leds": str(leds)}
