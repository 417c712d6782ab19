"""What the behaviour tests share: fixing a source through the engine, and running a source
as a module of its own."""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from codemods import target_version
from codemods.engine import process_source
from codemods.model import FileOutcome, Mode, RuleOptions, Settings

Namespace = dict[str, Any]


@functools.cache  # many tests share a source; the outcome is immutable
def fixed(
    source: str,
    rules: tuple[str, ...],
    *,
    unsafe: bool,
    target: tuple[int, int] = target_version.DEFAULT,
) -> FileOutcome:
    """The engine's outcome of fixing `source` with `rules` for a target Python version; it
    must not be an error."""
    options = RuleOptions(unsafe_fixes=unsafe, target_version=target)
    settings = Settings(Mode.FIX, rules, options)
    outcome = process_source(source.encode(), "case.py", settings)
    assert outcome.error is None, outcome.error
    return outcome


def load(source: str) -> Namespace:
    """Execute `source` as a module into a fresh namespace."""
    namespace: Namespace = {"__name__": "behaviour_case"}
    exec(compile(source, "case.py", "exec"), namespace)
    return namespace


def squash(text: str) -> str:
    """`text` with each line's indentation dropped: snippets compare regardless of nesting."""
    return "\n".join(line.strip() for line in text.strip().splitlines())


def task_end(task: asyncio.Task[Any], *, error_name: bool = False) -> Any:
    """What a finished task ended with: "cancelled", ("returned", value) or ("raised", the
    exception, or its class name to compare runs)."""
    assert task.done(), "still running"
    if task.cancelled():
        return "cancelled"
    error = task.exception()
    if error is not None:
        return ("raised", type(error).__name__ if error_name else error)
    return ("returned", task.result())
