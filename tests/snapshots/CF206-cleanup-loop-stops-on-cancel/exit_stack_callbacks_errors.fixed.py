import asyncio


class AsyncResources:
    def __init__(self) -> None:
        self._cleanups: list = []

    def push(self, callback) -> None:
        self._cleanups.append(callback)

    async def aclose(self) -> None:
        errors = []
        cancelled = None
        for callback in reversed(self._cleanups):
            try:
                await callback()
            except Exception as exc:
                errors.append(exc)
            except asyncio.CancelledError as cancel_error:
                cancelled = cancel_error
        if cancelled is not None:
            raise cancelled
        self._cleanups.clear()
        if errors:
            raise ExceptionGroup("cleanup failed", errors)
