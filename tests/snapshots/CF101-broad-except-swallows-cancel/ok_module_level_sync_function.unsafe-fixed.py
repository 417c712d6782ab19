import asyncio
import logging

log = logging.getLogger(__name__)


async def main() -> None:
    await asyncio.sleep(0.1)


def run() -> int:
    try:
        asyncio.run(main())
    except BaseException:
        log.exception("service crashed")
        return 1
    return 0
