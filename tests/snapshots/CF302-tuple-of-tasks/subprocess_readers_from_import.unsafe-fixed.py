"""`from asyncio import gather`: a subprocess transport cancels its stdout and stderr readers
through a list bound to a name and gathers it."""

from asyncio import create_task, gather


class ProcessTransport:
    def __init__(self, process, on_line) -> None:
        self._process = process
        self._stdout_reader = create_task(self._pump(process.stdout, on_line))
        self._stderr_reader = create_task(self._pump(process.stderr, on_line))

    async def _pump(self, stream, on_line) -> None:
        while line := await stream.readline():
            on_line(line)

    async def terminate(self) -> int:
        self._process.terminate()
        readers = [self._stdout_reader, self._stderr_reader]
        for reader in readers:
            if not reader.done():
                reader.cancel()
        await gather(*readers, return_exceptions=True)
        return await self._process.wait()
