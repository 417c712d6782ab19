import asyncio


class Browser:
    def __init__(self) -> None:
        self._pages: list = []

    async def close(self) -> None:
        errors = []

        # close every page, even if one fails
        cancelled = None
        for page in self._pages:
            try:
                await page.close()
            except Exception as exc:
                errors.append(exc)
            except asyncio.CancelledError as cancel_error:
                cancelled = cancel_error
        if cancelled is not None:
            raise cancelled
        if errors:
            raise errors[0]
