"""A sentinel client tells every sentinel about a failover without waiting."""

import asyncio

_background_tasks: set[object] = set()


class SentinelClient:
    def __init__(self, sentinels) -> None:
        self.sentinels = sentinels

    async def notify_failover(self, master: str) -> None:
        for sentinel in self.sentinels:
            task = asyncio.Task(sentinel.execute_command("SENTINEL", "FAILOVER", master))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
