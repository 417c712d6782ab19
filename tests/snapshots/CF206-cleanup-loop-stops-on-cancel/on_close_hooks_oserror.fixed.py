import asyncio


class Server:
    def __init__(self) -> None:
        self._on_close: list = []
        self.errors: list[BaseException] = []

    async def serve_forever_then_cleanup(self, serve) -> None:
        await serve()
        cancelled = None
        for hook in self._on_close:
            try:
                await hook(self)
            except OSError as exc:
                self.errors.append(exc)
            except asyncio.CancelledError as cancel_error:
                cancelled = cancel_error
        if cancelled is not None:
            raise cancelled
