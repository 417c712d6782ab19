import asyncio
import logging
from asyncio.subprocess import PIPE

log = logging.getLogger(__name__)


class WorkerStartupError(RuntimeError):
    pass


class WorkerProcess:
    def __init__(self, argv: list[str], startup_timeout: float = 10.0) -> None:
        self._argv = argv
        self._startup_timeout = startup_timeout
        self._proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._proc = await asyncio.create_subprocess_exec(*self._argv, stdin=PIPE, stdout=PIPE)
        try:
            line = await asyncio.wait_for(
                self._proc.stdout.readline(), timeout=self._startup_timeout
            )
            if line.strip() != b"READY":
                raise WorkerStartupError(f"{self._argv[0]} said {line!r} instead of READY")
        except BaseException:
            self._proc.kill()
            raise
        log.info("worker %s started, pid %d", self._argv[0], self._proc.pid)
