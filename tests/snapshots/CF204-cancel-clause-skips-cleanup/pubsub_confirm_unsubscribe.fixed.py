import asyncio
import logging

log = logging.getLogger(__name__)


class Listener:
    def __init__(self, pubsub) -> None:
        self._pubsub = pubsub

    async def listen(self, channel: str) -> None:
        await self._pubsub.subscribe(channel)
        try:
            await self._pubsub.wait_confirmed(channel, timeout=5)
        except asyncio.CancelledError:
            log.debug("listen on %s cancelled", channel)
            await self._pubsub.unsubscribe(channel)
            raise
        except Exception:
            log.warning("could not confirm %s", channel)
            await self._pubsub.unsubscribe(channel)
            raise
