import asyncio


class Sender:
    def __init__(self, transport, limit: int) -> None:
        self._transport = transport
        self._slots = asyncio.Semaphore(limit)

    async def _send_and_release(self, message: bytes) -> None:
        try:
            # the caller took a slot before scheduling us
            await self._transport.send(message)
            await self._transport.flush()
        finally:
            self._slots.release()
