from asyncio import create_task, sleep

from .notifications import send_push

_background_tasks: set[object] = set()


class PresenceTracker:
    def __init__(self) -> None:
        self._online: set[str] = set()

    async def mark_online(self, user_id: str) -> None:
        if user_id in self._online:
            return
        self._online.add(user_id)
        task = create_task(self._notify_friends(user_id))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)

    async def _notify_friends(self, user_id: str) -> None:
        await sleep(0.5)  # let the burst of reconnects settle
        await send_push(f"{user_id} is online")
