"""`from asyncio import Task`: a chat room broadcasts to each member in its own task."""

from asyncio import Task

_background_tasks: set[object] = set()


class Room:
    def __init__(self) -> None:
        self.members: list = []

    def broadcast(self, text: str) -> None:
        for member in self.members:
            task = Task(member.send(text))
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)
