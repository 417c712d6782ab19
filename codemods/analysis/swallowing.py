"""Where a swallowed cancellation leads: what the coroutine runs after the handler, and what
a fix that re-raises there would therefore skip.

A handler that swallows a CancelledError lets control go on: past the `try` (falling off the
handler's end), past the loop (`break`), round the loop again (`continue`, or falling off
inside a loop body), or out of the function (`return`). Re-raising instead skips every
statement on that way. Those statements decide three things: whether the swallow only ends
the coroutine (at most teardown after it, no value: CF105), whether it keeps the coroutine
going (CF101/CF102), whether a re-raise may be offered at all (it must skip nothing that
matters), and whether it is safe (it skips nothing at all but a bare `return`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.blocks import jumps_out, sole_expression, statements
from codemods.analysis.cancellers import coroutines_run_by, tasks_running
from codemods.analysis.exits import Exit, ExitPaths, handler_exits, loop_runs_forever
from codemods.analysis.names import ExceptionNames, handler_types
from codemods.analysis.reraise import matters_after_raise, outer_names
from codemods.analysis.scope import (
    dotted_name,
    enclosing_coroutine,
    has_cancellation_point,
    method_receiver,
    walk,
    walk_same_frame,
)
from codemods.analysis.task_groups import is_placeholder
from codemods.analysis.tasks import awaits_only_cancelled_tasks


@dataclass
class PathAfter:
    """What the swallowing paths run once they leave the handler, up to the function's end."""

    reached: list[cst.BaseStatement] = field(default_factory=list)
    loops_back: bool = False
    """A swallowing path goes round a loop again: the coroutine keeps running."""
    returns_value: bool = False
    """A swallowing path returns a value (other than `None`) to whoever awaits it."""


def returns_value(statement: cst.Return) -> bool:
    value = statement.value
    return value is not None and not (isinstance(value, cst.Name) and value.value == "None")


def _following(block: cst.CSTNode, child: cst.CSTNode) -> list[cst.BaseStatement]:
    """The statements after `child` in `block` (an indented block or module)."""
    assert isinstance(block, cst.IndentedBlock | cst.Module)
    lines = list(block.body)
    index = next(i for i, line in enumerate(lines) if line is child)
    return [line for line in lines[index + 1 :] if isinstance(line, cst.BaseStatement)]


def _ends_here(lines: Sequence[cst.BaseStatement]) -> bool:
    """Whether control certainly leaves at the end of `lines` by a `return` or `raise` of
    their own block (so nothing after that block runs on this way)."""
    if not lines:
        return False
    last = lines[-1]
    return isinstance(last, cst.SimpleStatementLine) and isinstance(
        last.body[-1], cst.Return | cst.Raise
    )


def path_after(
    start: cst.CSTNode,
    exits: ExitPaths,
    ancestors: Sequence[cst.CSTNode],
    function: cst.FunctionDef,
    handler: cst.ExceptHandler | cst.ExceptStarHandler | None = None,
) -> PathAfter:
    """Where the swallowing paths (`exits`) of a handler of `start` (a `try`, or a `with
    suppress(...)` without `handler`) go."""
    result = PathAfter(
        returns_value=any(
            returns_value(j.statement) for j in exits.jumps if isinstance(j.statement, cst.Return)
        )
    )
    cleared = _cleared_flags(handler) if handler is not None else {}
    for kind in exits.kinds & {Exit.FALLTHROUGH, Exit.BREAK, Exit.CONTINUE}:
        _follow(start, kind, ancestors, function, result, cleared)
    for line in result.reached:
        for node in walk_same_frame(line):
            if isinstance(node, cst.Return) and returns_value(node):
                result.returns_value = True
    return result


def reached_after(
    statement: cst.BaseStatement, ancestors: Sequence[cst.CSTNode], function: cst.FunctionDef
) -> PathAfter:
    """What runs once `statement` completes normally, up to the function's end: what an
    exception raised out of `statement` would skip."""
    result = PathAfter()
    _follow(statement, Exit.FALLTHROUGH, ancestors, function, result, cleared={})
    return result


def _follow(
    start: cst.CSTNode,
    kind: Exit,
    ancestors: Sequence[cst.CSTNode],
    function: cst.FunctionDef,
    result: PathAfter,
    cleared: dict[str, bool],
) -> None:
    """Walk out from `start`, left by `kind`, noting what runs after it. What runs in a loop
    body before the loop goes round again is the continuation that the swallowing causes,
    which a re-raise is meant to stop; what runs once the loop ends is reached. A `while`
    whose condition the handler cleared (`self._running = False`) ends after its body."""
    child = start
    going = kind  # FALLTHROUGH: on to the next statement; BREAK/CONTINUE: to the loop
    pending: list[cst.BaseStatement] = []
    for parent in ancestors:
        if parent is function or isinstance(parent, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            break
        if isinstance(parent, cst.IndentedBlock | cst.Module) and going is Exit.FALLTHROUGH:
            lines = _following(parent, child)
            pending += lines
            if _ends_here(lines):
                break
        elif isinstance(parent, cst.For | cst.While) and child is parent.body:
            stops = isinstance(parent, cst.While) and _falsified(parent.test, cleared)
            if going is not Exit.BREAK and not stops:
                result.loops_back = True
                pending = []
                if loop_runs_forever(parent):
                    return
            going = Exit.FALLTHROUGH
        elif (
            isinstance(parent, cst.Try | cst.TryStar)
            and child is parent.body
            and going is Exit.FALLTHROUGH
            and parent.orelse is not None
        ):
            pending += statements(parent.orelse.body)
        child = parent
    result.reached += pending


def _cleared_flags(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> dict[str, bool]:
    """The flags (names, attribute chains) the handler sets to a constant on every path
    through it (in its own statements, not a branch): `self._running = False` -> False."""
    flags: dict[str, bool] = {}
    for line in statements(handler.body):
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for small in line.body:
            if not isinstance(small, cst.Assign) or not isinstance(small.value, cst.Name):
                continue
            value = {"False": False, "None": False, "True": True}.get(small.value.value)
            for target in small.targets:
                name = get_full_name_for_node(target.target)
                if name is not None and value is not None:
                    flags[name] = value
    return flags


def _falsified(test: cst.BaseExpression, cleared: dict[str, bool]) -> bool:
    """Whether a loop condition is false once the `cleared` flags are set: a conjunct that
    is a flag set false, or `not` a flag set true."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return _falsified(test.left, cleared) or _falsified(test.right, cleared)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return cleared.get(get_full_name_for_node(test.expression) or "") is True
    if isinstance(test, cst.Name | cst.Attribute):
        return cleared.get(get_full_name_for_node(test) or "") is False
    return False


def _quiet(statement: cst.BaseStatement, outer: frozenset[str]) -> bool:
    """A statement a re-raise may skip without losing work: it only logs, sleeps, counts
    locally, passes or returns (a fix that skips one is still unsafe: `Judgement.why_unsafe`)."""
    if isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Return | cst.Pass)
        or (isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis))
        for small in statement.body
    ):
        return True
    return not matters_after_raise(statement, outer)


def skipped_work(path: PathAfter, function: cst.FunctionDef) -> list[cst.BaseStatement]:
    """The statements after the handler that a re-raise would skip and that matter."""
    outer = outer_names(function)
    return [line for line in path.reached if not _quiet(line, outer)]


def ends_quietly(line: cst.BaseStatement) -> bool:
    """`pass`, `...`, a lone string, or `return` of nothing: a line whose skipping changes
    nothing once the coroutine raises."""
    return is_placeholder(line) or (
        isinstance(line, cst.SimpleStatementLine)
        and all(isinstance(small, cst.Return) and not returns_value(small) for small in line.body)
    )


def ends_coroutine(path: PathAfter, function: cst.FunctionDef, *, none_is_failure: bool) -> bool:
    """Swallow-then-end: every swallowing path goes round no loop and ends the coroutine
    after at most some teardown (no `while` of its own, which would be the coroutine going
    on with its work), returning no value; and the coroutine gives no results, or None is
    what it gives on other failures too (`none_is_failure`)."""
    return (
        not path.loops_back
        and not path.returns_value
        and (none_is_failure or not _gives_results(function))
        and not any(
            type(node) is cst.While for line in path.reached for node in walk_same_frame(line)
        )
    )


def _gives_results(function: cst.FunctionDef) -> bool:
    """The coroutine returns values somewhere: ending it without one hands its caller a
    `None` result to go on with."""
    return any(
        type(node) is cst.Return and returns_value(node) for node in walk_same_frame(function.body)
    )


@functools.lru_cache(maxsize=8)  # asked for each handler of the function
def is_async_generator(function: cst.FunctionDef) -> bool:
    # (The walks here test node types by identity: every node is tested, `isinstance`
    # against node classes, which are ABCs, is slow, and these classes have no subclasses.)
    return function.asynchronous is not None and any(
        type(node) is cst.Yield for node in walk_same_frame(function.body)
    )


def yields_in(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """A `yield` in the handler's own frame: the cancelled generator suspends there."""
    return any(isinstance(node, cst.Yield) for node in walk_same_frame(handler.body))


def _tail_jumps(lines: Sequence[cst.BaseStatement]) -> Iterator[cst.CSTNode]:
    for line in lines:
        yield from jumps_out(line)


def movable_into_finally(
    try_node: cst.Try | cst.TryStar,
    tail: Sequence[cst.BaseStatement],
    every_exit_falls_through: bool,
    catches_everything: bool,
) -> bool:
    """Whether the statements after the `try` (`tail`, up to the function's end) can move
    into its `finally` without changing any path but the cancellation's: every exception of
    the body is caught, every handler and the body go on to the tail, and the tail has no
    `return`, `break`, `continue` or `yield` of its own (which a `finally` must not hold),
    nor a `try` (whose own fix could not move its tail any more)."""
    if not (every_exit_falls_through and catches_everything and tail):
        return False
    if any(True for _ in jumps_out(try_node.body)):
        return False
    if try_node.orelse is not None or any(True for _ in _tail_jumps(tail)):
        return False
    if try_node.finalbody is not None and any(True for _ in jumps_out(try_node.finalbody)):
        return False
    return not any(
        isinstance(node, cst.Yield | cst.Return | cst.Try | cst.TryStar)
        for line in tail
        for node in walk_same_frame(line)
    )


@dataclass(frozen=True)
class Judgement:
    """What a swallowing handler does to its coroutine, and whether a re-raise may fix it."""

    path: PathAfter
    ends: bool
    """Swallow-then-end (CF105's), rather than swallow-and-continue (CF101's, CF102's)."""
    tail_to_finally: bool
    """The code after the `try` must move into its `finally` for a re-raise to skip nothing."""
    reason: str | None
    """Why no fix is offered, when none is."""
    why_unsafe: str | None = None
    """Why a re-raise is unsafe however it is made: it skips code after the `try` that the
    swallowing path runs, which may not matter once the coroutine raises but did run (a log
    line, `return response`), and which cannot move into the `finally`."""


def judge(
    try_node: cst.Try | cst.TryStar,
    handler: cst.ExceptHandler | cst.ExceptStarHandler,
    exits: ExitPaths,
    ancestors: Sequence[cst.CSTNode],
    function: cst.FunctionDef,
    names: ExceptionNames,
) -> Judgement:
    """How a handler of `try_node` with swallowing `exits` swallows, and what blocks a fix."""
    path = path_after(try_node, exits, ancestors, function, handler)
    if Exit.RERAISE in exits.kinds and _decides_when_to_stop(handler):
        reason = "the handler chooses when to stop (it re-raises on some paths only)"
        return Judgement(path, False, False, reason)
    if _treats_cancellation_apart(handler, names):
        reason = "the handler chooses what a cancellation does (it tests for one with `isinstance`)"
        return Judgement(path, False, False, reason)
    swallows = bool(exits.kinds - {Exit.RERAISE, Exit.RAISE_OTHER})
    none_is_failure = _none_on_other_failures(try_node, handler, names)
    ends = swallows and ends_coroutine(path, function, none_is_failure=none_is_failure)
    skipped = [line for line in path.reached if not ends_quietly(line)]
    if not skipped:
        return Judgement(path, ends, False, None)
    tail = _function_tail(try_node, ancestors, function)
    if tail == path.reached and movable_into_finally(
        try_node, tail, _all_fall_through(try_node, names), _catches_everything(try_node, names)
    ):
        return Judgement(path, ends, True, None)
    work = skipped_work(path, function)
    if work:
        return Judgement(path, ends, False, skipping_reason(work[0], exits))
    return Judgement(path, ends, False, None, why_unsafe=skipping_reason(skipped[0], exits))


def skipping_reason(first: cst.BaseStatement, exits: ExitPaths) -> str:
    """Why no fix: re-raising would skip `first` and what follows it."""
    where = "loop" if Exit.BREAK in exits.kinds else "`try`"
    return (
        f"re-raising would skip the code after the {where} that the swallowing path runs "
        f"(line `{_first_line(first)}`)"
    )


def _none_on_other_failures(
    try_node: cst.Try | cst.TryStar,
    handler: cst.ExceptHandler | cst.ExceptStarHandler,
    names: ExceptionNames,
) -> bool:
    """Another handler of the `try` swallows an error the same way, falling off its end:
    the coroutine's callers already take the `None` it then returns for a failure (a
    wrapper of fire-and-forget work), not for a partial result."""
    return Exit.FALLTHROUGH in handler_exits(handler, names, as_cancellation=True).kinds and any(
        other is not handler and Exit.FALLTHROUGH in handler_exits(other, names).kinds
        for other in try_node.handlers
    )


def _decides_when_to_stop(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """A test in the handler picks the re-raising path (`if self._closing: raise`), while
    other paths carry on: a decision, which a fix must not overrule."""
    return any(
        isinstance(node, cst.If | cst.Match)
        and any(isinstance(inner, cst.Raise) for inner in walk_same_frame(node))
        for node in walk_same_frame(handler.body)
    )


def _treats_cancellation_apart(
    handler: cst.ExceptHandler | cst.ExceptStarHandler, names: ExceptionNames
) -> bool:
    """A handler of several exceptions with a branch of its own for the cancellation
    (`elif isinstance(e, asyncio.CancelledError):`): what it does there is a decision."""
    caught = names.caught(handler)
    if handler.name is None or not (caught.others or caught.is_broad):
        return False
    return any(
        isinstance(node, cst.If) and _tests_for_cancellation(node.test, names)
        for node in walk_same_frame(handler.body)
    )


def _tests_for_cancellation(test: cst.BaseExpression, names: ExceptionNames) -> bool:
    """`isinstance(x, CancelledError)` (or a tuple holding it) somewhere in `test`."""
    for node in walk_same_frame(test):
        if not (isinstance(node, cst.Call) and len(node.args) == 2):
            continue
        if "builtins.isinstance" not in names.names_of(node.func):
            continue
        classes = node.args[1].value
        members = (
            [e.value for e in classes.elements] if isinstance(classes, cst.Tuple) else [classes]
        )
        if any(names.is_cancellation(member) for member in members):
            return True
    return False


def _first_line(statement: cst.BaseStatement) -> str:
    """The statement's first line of code: not the comments above it."""
    code = cst.Module(body=[]).code_for_node(statement.with_changes(leading_lines=()))
    text = code.strip().splitlines()[0]
    return text if len(text) <= 60 else text[:57] + "..."


def _function_tail(
    try_node: cst.Try | cst.TryStar, ancestors: Sequence[cst.CSTNode], function: cst.FunctionDef
) -> list[cst.BaseStatement] | None:
    """The statements after `try_node` when it is a statement of the function's own body."""
    if len(ancestors) < 2 or ancestors[0] is not function.body or ancestors[1] is not function:
        return None
    return _following(function.body, try_node)


def _all_fall_through(try_node: cst.Try | cst.TryStar, names: ExceptionNames) -> bool:
    return all(
        handler_exits(handler, names).kinds == {Exit.FALLTHROUGH} for handler in try_node.handlers
    )


def _catches_everything(try_node: cst.Try | cst.TryStar, names: ExceptionNames) -> bool:
    return any(names.caught(handler).is_broad for handler in try_node.handlers)


def with_tail_in_finally(
    original: cst.IndentedBlock, updated: cst.IndentedBlock, try_node: cst.Try | cst.TryStar
) -> cst.IndentedBlock:
    """`updated` (the function body whose original is `original`) with the statements after
    `try_node` moved to the end of its `finally`, where cancellation cannot skip them."""
    index = next(i for i, line in enumerate(original.body) if line is try_node)
    fixed_try = updated.body[index]
    assert isinstance(fixed_try, cst.Try | cst.TryStar)
    tail = list(updated.body[index + 1 :])
    if fixed_try.finalbody is None:
        finalbody = cst.Finally(body=cst.IndentedBlock(body=tail))
    else:
        block = fixed_try.finalbody.body
        assert isinstance(block, cst.IndentedBlock)
        finalbody = fixed_try.finalbody.with_changes(
            body=block.with_changes(body=[*block.body, *tail])
        )
    return updated.with_changes(
        body=[*updated.body[:index], fixed_try.with_changes(finalbody=finalbody)]
    )


YIELD_IN_HANDLER = (
    "`yield` in a handler that catches the cancellation suspends the cancelled generator "
    "until its consumer resumes it"
)
AWAITS_EXISTING_FUTURE = (
    "the `try` only awaits an existing task or future, whose own cancellation by someone else "
    "may be what is caught"
)


def yields_when_cancelled(
    handler: cst.ExceptHandler | cst.ExceptStarHandler, function: cst.FunctionDef
) -> bool:
    """A `yield` in a cancellation handler of an async generator (as flake8-async reports)."""
    return is_async_generator(function) and yields_in(handler)


def suppressed_cancellation(
    node: cst.With, ancestors: Sequence[cst.CSTNode], names: ExceptionNames
) -> tuple[cst.BaseExpression, cst.FunctionDef] | None:
    """The first item of a coroutine's `with` that suppresses a cancellation around a
    cancellation point (`suppress(CancelledError)`), and the coroutine; None if there is
    none, or if the block awaits tasks cancelled before it (CF301's idiom)."""
    function = enclosing_coroutine(ancestors)
    if function is None or not has_cancellation_point(node.body):
        return None
    suppressing = [item.item for item in node.items if names.suppresses_cancellation(item.item)]
    if not suppressing or awaits_only_cancelled_tasks(node, function, names):
        return None
    return suppressing[0], function


def suppress_ends_coroutine(
    node: cst.With, ancestors: Sequence[cst.CSTNode], function: cst.FunctionDef
) -> bool:
    """Swallow-then-end for a `with suppress(...)`: after the block, which a cancellation
    leaves as a handler falling off its end would, the coroutine only ends."""
    path = path_after(node, ExitPaths({Exit.FALLTHROUGH}), ancestors, function)
    return ends_coroutine(path, function, none_is_failure=False)


def awaited_unguarded_after_cancel(module: cst.Module, function: cst.FunctionDef) -> bool:
    """The coroutine runs as a task (`self._t = create_task(self.<function>())`) whose owner
    cancels it and then awaits it with no guard (`self._t.cancel()` and, later in the same
    block, `await self._t`): the owner relies on the task ending normally, and would raise
    if it re-raised. (CF301 reports that owner's wait: the two are fixed together or not.)"""
    tasks = tasks_running(module, function)
    cancelled_anywhere, awaited_alone = _cancelled_and_awaited(module)
    if awaited_alone.isdisjoint(cancelled_anywhere & tasks):
        return False  # (no task that runs it is both cancelled and awaited alone anywhere)
    for node in walk(module):
        if type(node) is not cst.IndentedBlock:  # (by type: every node is tested)
            continue
        cancelled: set[str] = set()
        for line in statements(node):
            # A cancel may sit in a statement of its own or under a guard
            # (`if not self._t.done(): self._t.cancel()`), the wait after it.
            cancelled |= {
                name
                for inner in walk(line)
                if (receiver := method_receiver(inner, "cancel")) is not None
                and (name := dotted_name(receiver)) in tasks
            }
            expression = sole_expression(line)
            if (
                isinstance(expression, cst.Await)
                and dotted_name(expression.expression) in cancelled
            ):
                return True
    return False


@functools.lru_cache(maxsize=2)  # asked for each coroutine of the module that a task runs
def _cancelled_and_awaited(
    module: cst.Module,
) -> tuple[frozenset[str | None], frozenset[str | None]]:
    """What the module's `x.cancel()` calls cancel, and what its lines that only await
    (`await x`) await, anywhere (`x`)."""
    cancelled: set[str | None] = set()
    awaited: set[str | None] = set()
    for node in walk(module):
        if (receiver := method_receiver(node, "cancel")) is not None:
            cancelled.add(dotted_name(receiver))
        elif type(node) is cst.SimpleStatementLine:  # (by type: every node is tested)
            expression = sole_expression(node)
            if isinstance(expression, cst.Await):
                awaited.add(dotted_name(expression.expression))
    return frozenset(cancelled), frozenset(awaited)


def coroutine_ending_normally(
    module: cst.Module, task: cst.BaseExpression, names: ExceptionNames
) -> str | None:
    """The name of the module's coroutine that the task `task` runs, when that coroutine
    catches its cancellation and never re-raises it there (`except CancelledError: break`):
    an owner's plain `await task` after `task.cancel()` relies on that normal end."""
    reference = dotted_name(task)
    started = coroutines_run_by(module, reference) if reference is not None else set()
    for function in walk(module) if started else ():
        if (
            isinstance(function, cst.FunctionDef)
            and function.asynchronous is not None
            and function.name.value in started
            and any(_swallows_cancellation(node, names) for node in walk_same_frame(function.body))
        ):
            return function.name.value
    return None


def _swallows_cancellation(node: cst.CSTNode, names: ExceptionNames) -> bool:
    return (
        isinstance(node, cst.ExceptHandler)
        and any(names.is_cancellation(expr) for expr in handler_types(node))
        and not any(isinstance(inner, cst.Raise) for inner in walk(node.body))
    )
