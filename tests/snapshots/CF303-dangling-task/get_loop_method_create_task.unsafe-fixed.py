import asyncio

_background_tasks: set[object] = set()


class Transport:
    def __init__(self, reader, writer, loop=None):
        self._reader = reader
        self._writer = writer
        self._explicit_loop = loop

    def _get_loop(self):
        return self._explicit_loop or asyncio.get_running_loop()

    def connection_lost(self, exc):
        task = self._get_loop().create_task(self._reconnect(delay=1.0))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)

    async def _reconnect(self, delay):
        await asyncio.sleep(delay)
        self._reader, self._writer = await asyncio.open_connection("broker", 1883)
