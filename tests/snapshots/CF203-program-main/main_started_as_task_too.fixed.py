import asyncio

from .feeds import open_feed


async def mirror(url: str, path: str) -> None:
    feed = await open_feed(url)
    try:
        with open(path, "ab") as out:
            async for chunk in feed:
                out.write(chunk)
    finally:
        await feed.close()


def start_mirror(loop: asyncio.AbstractEventLoop, url: str, path: str) -> asyncio.Task:
    return loop.create_task(mirror(url, path))


if __name__ == "__main__":
    asyncio.run(mirror("https://feeds.example.org/live", "live.bin"))
