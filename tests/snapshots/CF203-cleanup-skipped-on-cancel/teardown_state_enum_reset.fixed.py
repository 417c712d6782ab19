import enum


class State(enum.Enum):
    IDLE = "idle"
    BUSY = "busy"


class Printer:
    def __init__(self, port) -> None:
        self._port = port
        self._state = State.IDLE

    async def print_job(self, job: bytes) -> None:
        self._state = State.BUSY
        device = await self._port.open()
        try:
            await device.write(job)
            await device.flush()
        finally:
            await device.close()
            self._state = State.IDLE
