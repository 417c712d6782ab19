import asyncio
import logging

log = logging.getLogger(__name__)


class LogTailer:
    def __init__(self, path: str, sink) -> None:
        self.path = path
        self.sink = sink

    async def follow(self) -> None:
        proc = await asyncio.create_subprocess_exec(
            "tail", "-F", "-n", "0", self.path, stdout=asyncio.subprocess.PIPE
        )
        try:
            assert proc.stdout is not None
            async for raw in proc.stdout:
                await self.sink.put(raw.decode("utf-8").rstrip("\n"))
        except UnicodeDecodeError:
            log.error("%s is not valid UTF-8, giving up", self.path)
            raise
        finally:
            proc.terminate()
            await proc.wait()
