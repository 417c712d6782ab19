"""Tasks stopped together: the statements of a coroutine that cancel several tasks and wait for
each. Waiting for one before cancelling the next leaves the next running for ever when the
caller is cancelled while it waits, so a fix cancels every task of the group before it waits
for the first (CF301)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeGuard

import libcst as cst

from codemods.analysis.blocks import comments_within, statements
from codemods.analysis.names import ExceptionNames
from codemods.analysis.scope import (
    assigned_targets,
    dotted_name,
    has_call,
    has_cancellation_point,
    method_receiver,
    walk_same_frame,
)

NAMES = (cst.Name, cst.Attribute)

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
    to the next one, the two alone, under one `if` (`if not task.done():`), or the cancel
    alone under it."""

    loop: cst.For
    guard: cst.If | None
    wait: cst.BaseStatement


def loop_stop(loop: cst.For, waited: WaitedTask) -> LoopStop | None:
    """The `LoopStop` that `loop` is, if it is one."""
    if loop.asynchronous or loop.orelse is not None or not isinstance(loop.target, cst.Name):
        return None
    if not isinstance(loop.body, cst.IndentedBlock):
        return None
    body = statements(loop.body)
    guard = body[0] if body and isinstance(body[0], cst.If) else None
    if guard is not None:
        if guard.orelse is not None or not isinstance(guard.body, cst.IndentedBlock):
            return None
        if has_cancellation_point(guard.test):
            return None
        body = [*statements(guard.body), *body[1:]]
    if len(body) != 2 or not isinstance(body[0], cst.SimpleStatementLine):
        return None
    variable = loop.target.value
    if cancelled_task(body[0]) != variable or waited(body[1]) != variable:
        return None
    return LoopStop(loop, guard, body[1])


def _loop_stop_of(statement: cst.BaseStatement, waited: WaitedTask) -> LoopStop | None:
    return loop_stop(statement, waited) if isinstance(statement, cst.For) else None


@dataclass(frozen=True)
class GuardedStop:
    """`if task:` (any test that does not await) cancelling the task, then waiting for it,
    then doing what does not await (`self._task = None`)."""

    guard: cst.If
    cancel: cst.SimpleStatementLine
    wait: cst.BaseStatement

    @property
    def task(self) -> str | None:
        return cancelled_task(self.cancel)


def guarded_stop(statement: cst.BaseStatement, waited: WaitedTask) -> GuardedStop | None:
    """The `GuardedStop` that `statement` is, if it is one."""
    if not isinstance(statement, cst.If) or statement.orelse is not None:
        return None
    if not isinstance(statement.body, cst.IndentedBlock):
        return None
    if has_cancellation_point(statement.test):
        return None
    body = statements(statement.body)
    if len(body) < 2 or not isinstance(body[0], cst.SimpleStatementLine):
        return None
    task = cancelled_task(body[0])
    if task is None or waited(body[1]) != task or any(map(has_cancellation_point, body[2:])):
        return None
    return GuardedStop(statement, body[0], body[1])


@dataclass(frozen=True)
class BlockStop:
    """Statements of one block that cancel tasks and wait for them, where a task is cancelled
    after another was waited for (`a.cancel()`, wait for `a`, `b.cancel()`, wait for `b`; or
    each pair under an `if`: `GuardedStop`; or a collection of them, each cancelled and
    waited for in turn: `LoopStop`). Between them nothing else awaits."""

    span: tuple[cst.BaseStatement, ...]
    """From the first statement that waits to the last, in order."""
    late_cancels: tuple[cst.SimpleStatementLine, ...]
    """The `task.cancel()` lines in the span: each of a task waited for after it."""
    guarded: tuple[GuardedStop, ...]
    """The guarded pairs in the span: each splits in two, its cancel moving before the span."""
    loops: tuple[LoopStop, ...]
    """The loops in the span: each splits in two, a loop cancelling every task (noting
    which) moving before the span, and one waiting for each noted staying in its place."""
    waits: tuple[cst.BaseStatement, ...]
    """The statements that wait, those of the guarded pairs and the loops included."""
    fixable: bool
    """False where a cancel or a guard that moves up could read something else there: a
    statement it moves over rebinds what it reads (`self._task = Task()`), or the guard
    calls something (`not task.done()` turns true once the task, cancelled earlier, ends),
    or a statement a loop moves over changes the collection it goes over (`tasks.clear()`)."""


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
    a task cancelled in the run."""
    cancelled: set[str] = set()
    for index in range(start, len(body)):
        statement = body[index]
        guarded = guarded_stop(statement, waited)
        task = guarded.task if guarded is not None else cancelled_task(statement)
        if task is not None:
            cancelled.add(task)
            continue
        if _loop_stop_of(statement, waited) is not None:
            continue
        task = waited(statement)
        if (task is None or task not in cancelled) and has_cancellation_point(statement):
            return index
    return len(body)


def _stop_in(run: Sequence[cst.BaseStatement], waited: WaitedTask) -> BlockStop | None:
    """The `BlockStop` of a run, if a task in it is cancelled after another was waited for."""
    pairs = [guarded_stop(statement, waited) for statement in run]
    loops = [_loop_stop_of(statement, waited) for statement in run]
    waiting = [i for i, s in enumerate(run) if pairs[i] or loops[i] or waited(s) is not None]
    if not waiting:
        return None
    first, last = waiting[0], waiting[-1]
    guarded = [pair for pair in pairs[first : last + 1] if pair is not None]
    looped = [stop for stop in loops[first : last + 1] if stop is not None]
    later = {waited(run[i]) for i in waiting} | {pair.task for pair in guarded}
    late = [s for s in run[first:last] if _is_line(s) and cancelled_task(s) in later]
    splits = [*(pair.guard for pair in guarded), *(stop.loop for stop in looped)]
    if not late and all(split is run[first] for split in splits):
        return None
    waits = [_wait_of(run[i], pairs[i], loops[i]) for i in waiting]
    moved = {id(statement): _read_by(statement) for statement in late}
    moved.update((id(pair.guard), _read_by(pair.guard.test)) for pair in guarded)
    moved.update((id(stop.loop), _loop_reads(stop)) for stop in looped)
    collections = {id(stop.loop): dotted_name(stop.loop.iter) for stop in looped}
    tests = [pair.guard.test for pair in guarded] + [s.guard.test for s in looped if s.guard]
    fixable = not any(map(has_call, tests)) and not any(
        _rebinds(earlier, moved[id(statement)]) or _mutates(earlier, collections.get(id(statement)))
        for index, statement in enumerate(run[first : last + 1], first)
        if id(statement) in moved
        for earlier in run[first:index]
    )
    span = tuple(run[first : last + 1])
    return BlockStop(span, tuple(late), tuple(guarded), tuple(looped), tuple(waits), fixable)


def _wait_of(
    statement: cst.BaseStatement, pair: GuardedStop | None, loop: LoopStop | None
) -> cst.BaseStatement:
    """The statement that waits, of a run's statement that stops one task or several."""
    return pair.wait if pair is not None else loop.wait if loop is not None else statement


def _loop_reads(stop: LoopStop) -> set[str]:
    """What the cancelling half of a loop reads but its own variable: the collection, and
    what its guard tests."""
    read = _read_by(stop.loop.iter) | (_read_by(stop.guard.test) if stop.guard else set())
    variable = dotted_name(stop.loop.target)
    return {name for name in read if name != variable and not name.startswith(f"{variable}.")}


def _mutates(statement: cst.BaseStatement, collection: str | None) -> bool:
    """Whether `statement` calls a method of `collection` (`tasks.clear()`, `tasks.add(t)`):
    a loop over it that moves above the statement would see other tasks."""
    return collection is not None and any(
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and dotted_name(node.func.value) == collection
        for node in walk_same_frame(statement)
    )


def _is_line(statement: cst.BaseStatement) -> TypeGuard[cst.SimpleStatementLine]:
    return isinstance(statement, cst.SimpleStatementLine)


def _read_by(node: cst.CSTNode) -> set[str]:
    """The names and attribute chains a node reads (`self._task` reads `self` too)."""
    read = (dotted_name(child) for child in walk_same_frame(node) if isinstance(child, NAMES))
    return {name for name in read if name is not None}


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


# Tasks a coroutine starts and stops itself.

Gathered = Callable[[cst.BaseStatement], frozenset[str] | None]
"""The names of the tasks a statement waits for together (`await gather(*tasks)`: "tasks";
`await gather(a, b)`: "a", "b"), None for any other statement."""
Started = Callable[[cst.BaseStatement], str | None]
"""The name a statement binds to the task or list of tasks it starts (`tasks =
[create_task(work(n)) for n in range(4)]`), None for any other statement."""


@dataclass(frozen=True)
class StartedStop:
    """Tasks started in a block, then run while the block awaits something else, then
    cancelled and waited for together in the same block. A cancellation of the caller while
    they run skips their stop, and they run for ever: the stop belongs in a `finally`."""

    running: tuple[cst.BaseStatement, ...]
    """The statements between the last start and the stop: some await, none jumps."""
    stop: tuple[cst.BaseStatement, ...]
    """The cancels (`for task in tasks: task.cancel()`, `a.cancel()`), then the wait."""


def started_stop(
    body: Sequence[cst.BaseStatement], index: int, gathered: Gathered, started: Started
) -> StartedStop | None:
    """The `StartedStop` that ends with the statement at `index`, if there is one."""
    names = gathered(body[index])
    if not names:
        return None
    first = index
    cancelled: set[str] = set()
    while first > 0 and (name := _cancelled_in(body[first - 1])) in names:
        cancelled.add(name)
        first -= 1
    starts = [_start_of(body[:first], name, started) for name in names]
    known = [start for start in starts if start is not None]
    if cancelled != names or len(known) != len(starts):
        return None
    running = body[max(known) + 1 : first]
    if not any(map(has_cancellation_point, running)) or any(
        _rebinds(statement, set(names))
        or any(isinstance(node, _JUMPS) for node in walk_same_frame(statement))
        for statement in running
    ):
        return None
    return StartedStop(tuple(running), tuple(body[first : index + 1]))


_JUMPS = (cst.Return, cst.Break, cst.Continue, cst.Yield)
"""What would make the stop run, once in a `finally`, where the original skipped it."""


def _cancelled_in(statement: cst.BaseStatement) -> str | None:
    """`task.cancel()`: "task"; `for task in tasks: task.cancel()`: "tasks"."""
    if not isinstance(statement, cst.For):
        return cancelled_task(statement)
    body = statements(statement.body)
    if statement.orelse is not None or statement.asynchronous or len(body) != 1:
        return None
    variable = dotted_name(statement.target) if isinstance(statement.target, cst.Name) else None
    if variable is None or cancelled_task(body[0]) != variable:
        return None
    return dotted_name(statement.iter)


def _start_of(before: Sequence[cst.BaseStatement], name: str, started: Started) -> int | None:
    """The index of the statement that last binds `name`, if it starts tasks."""
    for index in range(len(before) - 1, -1, -1):
        if started(before[index]) == name:
            return index
        if _rebinds(before[index], {name}):
            return None
    return None


# The idiom the fixes replace.


def is_placeholder(line: cst.BaseStatement) -> bool:
    """`pass`, `...` or a string: a line that does nothing."""
    return isinstance(line, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Pass)
        or (
            isinstance(small, cst.Expr)
            and isinstance(small.value, cst.Ellipsis | cst.SimpleString | cst.ConcatenatedString)
        )
        for small in line.body
    )


def is_bare_cancel_idiom(node: cst.Try, names: ExceptionNames) -> bool:
    """`try: await task` (or any body) / `except CancelledError: pass` and nothing more, no
    comment."""
    if len(node.handlers) != 1 or node.orelse is not None or node.finalbody is not None:
        return False
    handler = node.handlers[0]
    caught = names.caught(handler)
    return (
        bool(caught.cancellation)
        and not caught.is_broad
        and not caught.others
        and handler.name is None
        and all(map(is_placeholder, statements(handler.body)))
        and not comments_within(node.body)
        and not comments_within(handler)
    )
