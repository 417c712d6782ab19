"""An upload session opened, a keepalive started, the data sent, then the keepalive cancelled,
the active session reset and the session closed. The reset right before the close is the
close's teardown and moves into `finally` with it, in order; the cancel before it is the
cleanup of a resource of its own, started inside the guarded code: it gets its own `try`,
inside the first."""

import asyncio


class Uploader:
    async def upload(self, path):
        session = self._client.session(path)
        await session.open()
        try:
            keepalive = asyncio.ensure_future(session.keepalive())
            try:
                await session.send_all()
                self._sent += 1
            finally:
                keepalive.cancel()
        finally:
            self._active = None
            await session.close()
