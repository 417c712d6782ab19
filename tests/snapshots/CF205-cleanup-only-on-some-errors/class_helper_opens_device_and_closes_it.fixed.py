import asyncio


class SerialError(Exception):
    pass


class UpdateFailed(Exception):
    pass


class MeterCoordinator:
    def __init__(self, port: str, device_factory) -> None:
        self._port = port
        self._device_factory = device_factory
        self._device = None

    async def _get_device(self):
        if self._device is not None:
            return self._device
        device = self._device_factory(self._port)
        await device.open()
        self._device = device
        return device

    async def _close_device(self) -> None:
        device, self._device = self._device, None
        if device is not None:
            await device.close()

    async def update(self) -> dict:
        try:
            device = await self._get_device()
            async with asyncio.timeout(5):
                return await device.read_all()
        except SerialError as err:
            await self._close_device()
            raise UpdateFailed(str(err)) from err
        except TimeoutError:
            await self._close_device()
            raise
        except asyncio.CancelledError:
            await self._close_device()
            raise
