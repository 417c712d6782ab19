import asyncio
import logging

log = logging.getLogger(__name__)


async def recent_unit_lines(unit: str, count: int = 50) -> list[str]:
    proc = await asyncio.create_subprocess_exec(
        "journalctl",
        "--follow",
        "--output=cat",
        f"--lines={count}",
        "--unit",
        unit,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        lines: list[str] = []
        for _ in range(count):
            raw = await proc.stdout.readline()
            lines.append(raw.decode(errors="replace").rstrip("\n"))
    finally:
        proc.kill()
    await proc.wait()
    log.debug("journalctl for %s exited with %s", unit, proc.returncode)
    return [line for line in lines if line]
