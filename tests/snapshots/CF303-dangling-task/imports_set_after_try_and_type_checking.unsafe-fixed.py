"""The set goes after every import: optional ones in a `try`, type-only ones too."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

if TYPE_CHECKING:
    from collections.abc import Coroutine

_background_tasks: set[object] = set()

LOGGER_NAME = "spawner"


def spawn(coro: Coroutine[None, None, None]) -> None:
    task = asyncio.create_task(coro)
    _background_tasks.add(task)
    task.add_done_callback(_background_tasks.discard)
