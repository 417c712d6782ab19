"""A subscription manager confirms a subscription in a task built by the constructor, with a
done callback chained on it: the task holds its callback, nothing holds the task."""

import asyncio
import logging

_background_tasks: set[object] = set()

logger = logging.getLogger(__name__)


class SubscriptionManager:
    def __init__(self, broker) -> None:
        self._broker = broker
        self._topics: set[str] = set()

    def _log_failure(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.warning("subscription not confirmed: %s", task.exception())

    async def _confirm(self, topic: str) -> None:
        await self._broker.wait_confirmed(topic)
        self._topics.add(topic)

    async def subscribe(self, topic: str) -> None:
        await self._broker.subscribe(topic)
        task = asyncio.Task(self._confirm(topic))
        task.add_done_callback(self._log_failure)
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
