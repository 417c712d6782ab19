# cancelfix: target-version=py311
"""An MQTT-style client whose keepalive task may die with a connection error."""

import asyncio


class Client:
    def __init__(self, connection):
        self._connection = connection
        self._keepalive = None

    async def disconnect(self):
        if self._keepalive:
            self._keepalive.cancel()
            task = self._keepalive
            cancelling = asyncio.current_task().cancelling()
            try:
                await task
            except asyncio.CancelledError:
                if not task.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
            except (ConnectionError, OSError):
                pass
        await self._connection.close()
