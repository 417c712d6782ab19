# cancelfix: target-version=py311
"""A session that stops its reader from a finally block, even when it is itself cancelled."""

import asyncio


class Session:
    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.closed = False

    async def _read_frames(self):
        while frame := await self.reader.readexactly(8):
            self.handle(frame)

    def handle(self, frame):
        pass

    async def serve(self):
        reader_task = asyncio.create_task(self._read_frames())
        try:
            await self.writer.drain()
            await asyncio.sleep(3600)
        finally:
            reader_task.cancel()
            cancelling = asyncio.current_task().cancelling()
            try:
                await reader_task
            except asyncio.CancelledError:
                if not reader_task.done() or asyncio.current_task().cancelling() > cancelling:
                    raise
            self.writer.close()
            await self.writer.wait_closed()
            self.closed = True
