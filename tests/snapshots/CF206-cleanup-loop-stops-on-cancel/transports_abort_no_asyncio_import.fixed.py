import asyncio


class Hub:
    def __init__(self) -> None:
        self._peers: list = []

    async def stop(self) -> list:
        failed = []
        cancelled = None
        for peer in self._peers:
            try:
                await peer.send_goodbye()
                peer.transport.close()
            except Exception as exc:
                failed.append((peer, exc))
            except asyncio.CancelledError as cancel_error:
                cancelled = cancel_error
        if cancelled is not None:
            raise cancelled
        return failed
