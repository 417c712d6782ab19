import asyncio


class ServerDisconnected(Exception):
    pass


class ReadTimeout(Exception):
    pass


class MailClient:
    def __init__(self) -> None:
        self.protocol = None
        self.transport = None

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()
        self.protocol = self.transport = None

    async def command(self, *args: bytes, timeout: float = 30.0):
        if self.protocol is None:
            raise ServerDisconnected("not connected")
        try:
            reply = await self.protocol.execute_command(*args, timeout=timeout)
        except (ServerDisconnected, ReadTimeout):
            # A reply given up on leaves the stream mid-response: the next command would
            # read it. Close rather than mispair replies.
            self.close()
            raise
        except asyncio.CancelledError:
            self.close()
            raise
        return reply
