# cancelfix: target-version=py311
import asyncio
import logging

log = logging.getLogger(__name__)


async def crawl(urls: list[str], fetch) -> dict[str, bytes]:
    results: dict[str, bytes] = {}

    async def one(url: str) -> None:
        results[url] = await fetch(url)

    try:
        async with asyncio.TaskGroup() as tg:
            for url in urls:
                tg.create_task(one(url))
    except* asyncio.CancelledError as group:
        raise group.exceptions[0] from None
    except* BaseException as group:
        for exc in group.exceptions:
            log.warning("crawl error: %r", exc)
    return results
