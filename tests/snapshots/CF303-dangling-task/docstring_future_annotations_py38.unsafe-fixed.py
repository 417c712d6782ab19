# cancelfix: target-version=py38
"""Push device state changes to the cloud without blocking the caller."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cloud import CloudClient

_background_tasks: set[object] = set()


class StateReporter:
    def __init__(self, cloud: CloudClient) -> None:
        self._cloud = cloud

    def state_changed(self, entity_id: str, state: str) -> None:
        task = asyncio.ensure_future(self._cloud.push(entity_id, state))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
