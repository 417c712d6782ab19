import asyncio
import logging

log = logging.getLogger(__name__)


async def wait_for_leadership(client, election_key: str, node_id: str, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    became_leader = asyncio.Event()
    timer = loop.call_later(timeout, log.warning, "no leadership for %s after %.0fs", node_id, timeout)

    try:
        def on_event(event) -> None:
            if event.key.decode() != election_key:
                return
            if event.value.decode() == node_id:
                became_leader.set()

        watch_id = await client.add_watch_callback(election_key, on_event)
        try:
            await became_leader.wait()
        finally:
            await client.cancel_watch(watch_id)
    finally:
        timer.cancel()
    log.info("%s is now the leader for %s", node_id, election_key)
