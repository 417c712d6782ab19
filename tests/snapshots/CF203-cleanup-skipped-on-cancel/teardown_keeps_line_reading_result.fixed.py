class Meter:
    def __init__(self, port) -> None:
        self._port = port
        self._last = None

    async def read(self) -> float:
        conn = await self._port.open()
        try:
            value = await conn.query("MEAS?")
        finally:
            await conn.close()
        self._last = value
        return float(value)
