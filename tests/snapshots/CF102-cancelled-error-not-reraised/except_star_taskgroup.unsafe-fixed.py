# cancelfix: target-version=py311
import asyncio
import logging

log = logging.getLogger(__name__)


async def run_shards(shards, process) -> list[str]:
    failed: list[str] = []
    try:
        async with asyncio.TaskGroup() as tg:
            for shard in shards:
                tg.create_task(process(shard), name=f"shard-{shard.id}")
    except* asyncio.CancelledError as cancelled:
        log.warning("shard run cancelled")
        raise cancelled.exceptions[0] from None
    except* OSError as group:
        for exc in group.exceptions:
            failed.append(str(exc))
    return failed
