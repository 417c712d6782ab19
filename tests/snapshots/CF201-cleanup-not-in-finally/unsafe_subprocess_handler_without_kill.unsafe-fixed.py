import asyncio
import logging

log = logging.getLogger(__name__)


class ScratchRedis:
    def __init__(self, binary: str = "redis-server") -> None:
        self.binary = binary

    async def run_suite(self, port: int, suite, startup_timeout: float = 5.0) -> dict:
        proc = await asyncio.create_subprocess_exec(
            self.binary, "--port", str(port), "--save", "", stdout=asyncio.subprocess.DEVNULL
        )
        try:
            await asyncio.wait_for(suite.wait_ready("127.0.0.1", port), startup_timeout)
            report = await suite.run(f"redis://127.0.0.1:{port}/0")
        except asyncio.TimeoutError:
            log.warning("%s did not come up on port %d", self.binary, port)
            raise
        except OSError:
            log.exception("scratch redis on port %d failed", port)
            raise
        finally:
            proc.kill()
            await proc.wait()
        return report
