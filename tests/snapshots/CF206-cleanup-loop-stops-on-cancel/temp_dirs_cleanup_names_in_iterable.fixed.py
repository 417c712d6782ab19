import asyncio
import shutil


class Workspace:
    def __init__(self) -> None:
        self._cleanup_dirs: list[str] = []

    async def finish(self) -> None:
        cancelled = None
        for path in self._cleanup_dirs:
            try:
                await asyncio.to_thread(shutil.rmtree, path)
            except OSError:
                pass
            except asyncio.CancelledError as cancel_error:
                cancelled = cancel_error
        if cancelled is not None:
            raise cancelled
