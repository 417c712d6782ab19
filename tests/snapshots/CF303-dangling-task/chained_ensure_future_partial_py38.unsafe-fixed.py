import asyncio
import functools

_background_tasks: set[object] = set()


def _report(session_id, future):
    if future.exception() is not None:
        print(f"session {session_id} failed: {future.exception()!r}")


class SessionManager:
    def __init__(self, store):
        self._store = store

    def touch(self, session_id):
        # refresh the expiry without making the request wait for the store
        task = asyncio.ensure_future(
            self._store.expire(session_id, 3600)
        )
        task.add_done_callback(functools.partial(_report, session_id))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
