"""Tasks stopped together: the statements of a coroutine that cancel several tasks and wait for
each. Waiting for one before cancelling the next leaves the next running for ever when the
caller is cancelled while it waits, so a fix cancels every task of the group before it waits
for the first (CF301)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import libcst as cst

from codemods.analysis.blocks import statements
from codemods.analysis.scope import (
    assigned_targets,
    dotted_name,
    has_cancellation_point,
    method_receiver,
    walk_same_frame,
)

WaitedTask = Callable[[cst.BaseStatement], str | None]
"""The dotted name of the task a statement waits for (`await task`, or that `await` under a
`try` or `suppress` catching its CancelledError), None for any other statement."""


def cancelled_task(statement: cst.BaseStatement) -> str | None:
    """`task.cancel()` alone on its line: the task's dotted name (`task`, `self._task`)."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    expression = statement.body[0]
    if not isinstance(expression, cst.Expr):
        return None
    receiver = method_receiver(expression.value, "cancel")
    call = expression.value
    if receiver is None or not isinstance(call, cst.Call) or call.args:
        return None
    return dotted_name(receiver)


@dataclass(frozen=True)
class LoopStop:
    """`for task in tasks:` whose body cancels the task and then waits for it before going on
    to the next one, the two alone or under one `if` (`if not task.done():`)."""

    loop: cst.For
    guard: cst.If | None
    cancel: cst.SimpleStatementLine
    wait: cst.BaseStatement


def loop_stop(loop: cst.For, waited: WaitedTask) -> LoopStop | None:
    """The `LoopStop` that `loop` is, if it is one."""
    if loop.asynchronous or loop.orelse is not None or not isinstance(loop.target, cst.Name):
        return None
    if not isinstance(loop.body, cst.IndentedBlock):
        return None
    body = statements(loop.body)
    guard = body[0] if len(body) == 1 and isinstance(body[0], cst.If) else None
    if guard is not None:
        if guard.orelse is not None or not isinstance(guard.body, cst.IndentedBlock):
            return None
        if has_cancellation_point(guard.test):
            return None
        body = statements(guard.body)
    if len(body) != 2 or not isinstance(body[0], cst.SimpleStatementLine):
        return None
    variable = loop.target.value
    if cancelled_task(body[0]) != variable or waited(body[1]) != variable:
        return None
    return LoopStop(loop, guard, body[0], body[1])


@dataclass(frozen=True)
class BlockStop:
    """Statements of one block that cancel tasks and wait for them, where a task is cancelled
    after another was waited for (`a.cancel()`, wait for `a`, `b.cancel()`, wait for `b`).
    Between them nothing else awaits."""

    span: tuple[cst.BaseStatement, ...]
    """From the first wait to the last, in order."""
    late_cancels: tuple[cst.SimpleStatementLine, ...]
    """The cancels in the span: each of a task waited for after it; they move before it."""
    waits: tuple[cst.BaseStatement, ...]


def block_stops(body: Sequence[cst.BaseStatement], waited: WaitedTask) -> list[BlockStop]:
    """The `BlockStop`s among the statements of one block."""
    found: list[BlockStop] = []
    start = 0
    while start < len(body):
        end = _run_end(body, start, waited)
        stop = _stop_in(body[start:end], waited)
        if stop is not None:
            found.append(stop)
        start = max(end, start + 1)
    return found


def _run_end(body: Sequence[cst.BaseStatement], start: int, waited: WaitedTask) -> int:
    """Where the run of statements from `start` ends: at the first that awaits anything but
    a task cancelled in the run, or rebinds one of them."""
    cancelled: set[str] = set()
    for index in range(start, len(body)):
        statement = body[index]
        task = cancelled_task(statement)
        if task is not None:
            cancelled.add(task)
            continue
        task = waited(statement)
        if task is not None and task in cancelled:
            continue
        if has_cancellation_point(statement) or _rebinds(statement, cancelled):
            return index
    return len(body)


def _stop_in(run: Sequence[cst.BaseStatement], waited: WaitedTask) -> BlockStop | None:
    """The `BlockStop` of a run, if a task in it is cancelled after another was waited for."""
    waits = [index for index, statement in enumerate(run) if waited(statement) is not None]
    if not waits:
        return None
    first, last = waits[0], waits[-1]
    awaited_later = {waited(run[index]) for index in waits}
    late = [
        statement
        for statement in run[first:last]
        if isinstance(statement, cst.SimpleStatementLine)
        and cancelled_task(statement) in awaited_later
    ]
    if not late:
        return None
    return BlockStop(tuple(run[first : last + 1]), tuple(late), tuple(run[i] for i in waits))


def _rebinds(statement: cst.BaseStatement, tasks: set[str]) -> bool:
    """Whether `statement` assigns or deletes one of `tasks` or what it is read from
    (`self._conn = None` for `self._conn.task`)."""
    for node in walk_same_frame(statement):
        targets = assigned_targets(node)
        if isinstance(node, cst.Del):
            targets = [node.target]
        for target in targets:
            name = dotted_name(target)
            if name is not None and any(
                task == name or task.startswith(f"{name}.") for task in tasks
            ):
                return True
    return False
