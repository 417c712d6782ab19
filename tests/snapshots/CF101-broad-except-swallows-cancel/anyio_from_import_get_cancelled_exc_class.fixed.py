import logging

from anyio import get_cancelled_exc_class, sleep

log = logging.getLogger(__name__)


async def sync_forever(client, store, interval: float = 60.0) -> None:
    cancelled = get_cancelled_exc_class()
    log.debug("sync loop starts, cancellation class is %s", cancelled.__name__)
    while True:
        try:
            changes = await client.fetch_changes(since=store.cursor)
            await store.apply(changes)
        except get_cancelled_exc_class():
            raise
        except BaseException:
            log.exception("sync failed, will retry in %.0fs", interval)
        await sleep(interval)
