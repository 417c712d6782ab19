"""Where a swallowed cancellation leads: what the coroutine runs after the handler, and what
a fix that re-raises there would therefore skip.

A handler that swallows a CancelledError lets control go on: past the `try` (falling off the
handler's end), past the loop (`break`), round the loop again (`continue`, or falling off
inside a loop body), or out of the function (`return`). Re-raising instead skips every
statement on that way. Those statements decide three things: whether the swallow only ends
the coroutine (nothing after it, no value: CF105), whether it keeps the coroutine going
(CF101/CF102), and whether a re-raise may be offered at all (it must skip nothing that
matters).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from codemods.analysis.blocks import jumps_out, statements
from codemods.analysis.exits import Exit, ExitPaths, handler_exits, loop_runs_forever
from codemods.analysis.names import ExceptionNames
from codemods.analysis.reraise import matters_after_raise, outer_names
from codemods.analysis.scope import walk_same_frame


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
    try_node: cst.Try | cst.TryStar,
    exits: ExitPaths,
    ancestors: Sequence[cst.CSTNode],
    function: cst.FunctionDef,
) -> PathAfter:
    """Where the swallowing paths of a handler of `try_node` (with `exits`) go."""
    result = PathAfter(
        returns_value=any(
            returns_value(j.statement) for j in exits.jumps if isinstance(j.statement, cst.Return)
        )
    )
    for kind in exits.kinds & {Exit.FALLTHROUGH, Exit.BREAK, Exit.CONTINUE}:
        _follow(try_node, kind, ancestors, function, result)
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
    _follow(statement, Exit.FALLTHROUGH, ancestors, function, result)
    return result


def _follow(
    start: cst.CSTNode,
    kind: Exit,
    ancestors: Sequence[cst.CSTNode],
    function: cst.FunctionDef,
    result: PathAfter,
) -> None:
    """Walk out from `start`, left by `kind`, noting what runs after it. What runs in a loop
    body before the loop goes round again is the continuation that the swallowing causes,
    which a re-raise is meant to stop; what runs once the loop ends is reached."""
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
            if going is not Exit.BREAK:
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


def _quiet(statement: cst.BaseStatement, outer: frozenset[str]) -> bool:
    """A statement a re-raise may skip: it only logs, sleeps, counts locally, passes or
    returns (the value the swallowing produced is what the fix changes)."""
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


def ends_coroutine(path: PathAfter, exits: ExitPaths, function: cst.FunctionDef) -> bool:
    """Swallow-then-end: every swallowing path runs nothing that matters after the handler,
    goes round no loop, and ends the coroutine, which returns no value on any path."""
    return (
        not path.loops_back
        and not path.returns_value
        and not _gives_results(function)
        and Exit.RAISE_OTHER not in exits.kinds
        and not skipped_work(path, function)
    )


def _gives_results(function: cst.FunctionDef) -> bool:
    """The coroutine returns values somewhere: ending it without one hands its caller a
    `None` result to go on with."""
    return any(
        isinstance(node, cst.Return) and returns_value(node)
        for node in walk_same_frame(function.body)
    )


def is_async_generator(function: cst.FunctionDef) -> bool:
    return function.asynchronous is not None and any(
        isinstance(node, cst.Yield) for node in walk_same_frame(function.body)
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


def judge(
    try_node: cst.Try | cst.TryStar,
    handler: cst.ExceptHandler | cst.ExceptStarHandler,
    exits: ExitPaths,
    ancestors: Sequence[cst.CSTNode],
    function: cst.FunctionDef,
    names: ExceptionNames,
) -> Judgement:
    """How a handler of `try_node` with swallowing `exits` swallows, and what blocks a fix."""
    path = path_after(try_node, exits, ancestors, function)
    if Exit.RERAISE in exits.kinds and _decides_when_to_stop(handler):
        reason = "the handler chooses when to stop (it re-raises on some paths only)"
        return Judgement(path, False, False, reason)
    if ends_coroutine(path, exits, function):
        return Judgement(path, True, False, None)
    skipped = skipped_work(path, function)
    if not skipped:
        return Judgement(path, False, False, None)
    tail = _function_tail(try_node, ancestors, function)
    if tail == path.reached and movable_into_finally(
        try_node, tail, _all_fall_through(try_node, names), _catches_everything(try_node, names)
    ):
        return Judgement(path, False, True, None)
    first = skipped[0]
    where = "loop" if Exit.BREAK in exits.kinds else "`try`"
    reason = (
        f"re-raising would skip the code after the {where} that the swallowing path runs "
        f"(line `{_first_line(first)}`)"
    )
    return Judgement(path, False, False, reason)


def _decides_when_to_stop(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> bool:
    """A test in the handler picks the re-raising path (`if self._closing: raise`), while
    other paths carry on: a decision, which a fix must not overrule."""
    return any(
        isinstance(node, cst.If | cst.Match)
        and any(isinstance(inner, cst.Raise) for inner in walk_same_frame(node))
        for node in walk_same_frame(handler.body)
    )


def _first_line(statement: cst.BaseStatement) -> str:
    text = cst.Module(body=[]).code_for_node(statement).strip().splitlines()[0]
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
