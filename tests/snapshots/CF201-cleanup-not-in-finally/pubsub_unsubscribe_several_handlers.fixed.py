import json
import logging

import redis.asyncio as redis

log = logging.getLogger(__name__)


class ConfigWatcher:
    def __init__(self, client: redis.Redis, channel: str = "config-updates") -> None:
        self._client = client
        self._channel = channel
        self.current: dict = {}

    async def wait_for_update(self, timeout: float = 30.0) -> dict | None:
        pubsub = self._client.pubsub()
        await pubsub.subscribe(self._channel)
        try:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=timeout)
            if message is not None:
                self.current = json.loads(message["data"])
            return self.current
        except redis.ConnectionError:
            log.warning("lost connection while watching %s", self._channel)
            raise
        except json.JSONDecodeError:
            log.error("ignoring malformed config on %s", self._channel)
            return None
        finally:
            await pubsub.unsubscribe(self._channel)
