import asyncio
import logging

log = logging.getLogger(__name__)


async def wait_until_synced(panel, login_timeout: float, sync_timeout: float) -> None:
    """The caller connected `panel`; a panel that never logs in or syncs is given up."""
    for step, timeout in (("login", login_timeout), ("sync_complete", sync_timeout)):
        try:
            async with asyncio.timeout(timeout):
                await panel.wait_for_event(step)
        except TimeoutError:
            log.debug("timed out waiting for %s", step)
            panel.disconnect()
            raise
        except asyncio.CancelledError:
            panel.disconnect()
            raise
