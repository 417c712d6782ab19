import asyncio
import logging

log = logging.getLogger(__name__)


async def run_plugin(plugin, context) -> None:
    try:
        await plugin.on_start(context)
    except BaseException as exc:
        # Let KeyboardInterrupt, SystemExit and CancelledError through.
        if not isinstance(exc, Exception):
            raise
        log.exception("plugin %s failed to start", plugin.name)
