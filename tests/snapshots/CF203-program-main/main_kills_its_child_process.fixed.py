import asyncio
import sys


async def main(url: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        "ffmpeg", "-i", url, "-f", "null", "-", stderr=asyncio.subprocess.PIPE
    )
    try:
        line = await proc.stderr.readline()
        print(line.decode().strip())
    finally:
        proc.kill()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
