import asyncio
import logging
from asyncio.subprocess import PIPE

log = logging.getLogger(__name__)


async def transcode(src: str, dst: str, *, graceful: bool = True) -> None:
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-y", "-i", src, "-c:v", "libx264", "-preset", "fast", dst,
        stdout=PIPE,
        stderr=PIPE,
    )
    try:
        _, stderr = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"ffmpeg exited {proc.returncode}: {stderr[-500:].decode()}")
    except BaseException:
        if graceful:
            proc.terminate()
        else:
            proc.kill()
        raise
    log.info("transcoded %s -> %s", src, dst)
