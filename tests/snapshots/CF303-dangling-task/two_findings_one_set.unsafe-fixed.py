import asyncio
import logging

_background_tasks: set[object] = set()

log = logging.getLogger(__name__)


class ChatRoom:
    def __init__(self, history, members) -> None:
        self._history = history
        self._members = members

    async def post(self, author: str, text: str) -> None:
        task = asyncio.create_task(self._history.append(author, text))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
        for member in self._members:
            task = asyncio.create_task(member.send(f"{author}: {text}"))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)


async def announce(room: ChatRoom, text: str) -> None:
    log.info("announcing %r", text)
    task = asyncio.create_task(room.post("system", text))
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
