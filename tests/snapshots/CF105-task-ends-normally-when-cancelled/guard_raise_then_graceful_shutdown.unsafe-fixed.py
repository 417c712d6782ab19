"""Cancellation is the signal for a graceful shutdown; one path raises a different error
(no server to stop), the other shuts down and then the coroutine ends: CF105, and its fix
re-raises after the shutdown steps."""

import asyncio


class ServerRunner:
    def __init__(self) -> None:
        self.server = None
        self.stage = "idle"

    async def run(self, server) -> None:
        self.server = server
        try:
            await server.start()
            await server.serve_forever()
        except asyncio.CancelledError:
            if self.server is None:
                raise RuntimeError("no server to stop")
            await self.server.before_stop()
            await self.server.close()
            raise
        finally:
            self.stage = "stopped"
            self.server = None
