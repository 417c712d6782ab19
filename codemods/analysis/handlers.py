"""Facts about exception handlers in coroutines that several rules rely on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.cleanup import called_name, contains_cleanup, is_logging_call
from codemods.analysis.exits import Exit, ExitPaths, handler_exits
from codemods.analysis.names import Caught, ExceptionNames
from codemods.analysis.scope import (
    enclosing_coroutine,
    has_cancellation_point,
    is_cancellation_point,
    walk_same_frame,
)

Handler = cst.ExceptHandler | cst.ExceptStarHandler
TryNode = cst.Try | cst.TryStar
TryT = TypeVar("TryT", cst.Try, cst.TryStar)


def _calls_method(node: cst.CSTNode, method: str) -> bool:
    return any(
        isinstance(child, cst.Call)
        and isinstance(child.func, cst.Attribute)
        and child.func.attr.value == method
        for child in walk_same_frame(node)
    )


def manages_cancellation(handler: Handler) -> bool:
    """Handlers that call `uncancel()` or test `cancelling()` decide on purpose; leave them be.

    Merely logging `cancelling()` is no decision: it must be part of a test or comparison.
    """
    if _calls_method(handler.body, "uncancel"):
        return True
    tests = (
        node.test if isinstance(node, cst.If | cst.While | cst.IfExp | cst.Assert) else node
        for node in walk_same_frame(handler.body)
        if isinstance(node, cst.If | cst.While | cst.IfExp | cst.Assert | cst.Comparison)
    )
    return any(_calls_method(test, "cancelling") for test in tests)


def _cancel_target(node: cst.CSTNode) -> cst.BaseExpression | None:
    """`x.y.cancel()` -> `x.y`."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "cancel"
    ):
        return node.func.value
    return None


def _assigned_targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    if isinstance(node, cst.Assign):
        return [target.target for target in node.targets]
    if isinstance(node, cst.AnnAssign | cst.AugAssign):
        return [node.target]
    return []


_WAITERS = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.wait_for", "asyncio.shield"})
"""Awaiting these on cancelled tasks raises those tasks' CancelledError, not ours."""


class _CancelledTasks:
    """What a function cancelled before a point: tasks, and collections cancelled in a loop."""

    def __init__(self, names: ExceptionNames) -> None:
        self.names = names
        self.tasks: list[cst.BaseExpression] = []
        self.collections: list[cst.BaseExpression] = []

    def note(self, node: cst.CSTNode) -> None:
        target = _cancel_target(node)
        if target is not None:
            self.tasks.append(target)
        if isinstance(node, cst.For) and isinstance(node.target, cst.Name):
            loop_variable = node.target.value
            if any(
                isinstance(task, cst.Name) and task.value == loop_variable
                for task in map(_cancel_target, walk_same_frame(node.body))
            ):
                self.collections.append(node.iter)
        for assigned in _assigned_targets(node):
            # A name bound anew (`self._task = create_task(...)`) is no longer the cancelled task.
            self.tasks = [task for task in self.tasks if not task.deep_equals(assigned)]
            self.collections = [c for c in self.collections if not c.deep_equals(assigned)]

    def _is_task(self, expr: cst.BaseExpression) -> bool:
        return any(expr.deep_equals(task) for task in self.tasks)

    def _is_collection(self, expr: cst.BaseExpression) -> bool:
        if isinstance(expr, cst.List | cst.Tuple | cst.Set):
            return bool(expr.elements) and all(
                self._is_task(element.value) for element in expr.elements
            )
        return any(expr.deep_equals(collection) for collection in self.collections)

    def awaited(self, expr: cst.BaseExpression) -> bool:
        """`await t`, `await asyncio.gather(*tasks)`, `await asyncio.wait_for(t, 5)`, ..."""
        if self._is_task(expr):
            return True
        if not isinstance(expr, cst.Call) or not expr.args:
            return False
        function = self.names.names_of(expr.func)
        if not function & _WAITERS:
            return False
        positional = [arg for arg in expr.args if arg.keyword is None]
        if any(arg.star == "*" for arg in positional):
            return all(
                self._is_collection(arg.value) if arg.star else self._is_task(arg.value)
                for arg in positional
            )
        first = positional[0].value if positional else None
        return first is not None and (self._is_task(first) or self._is_collection(first))


_TIMEOUT_MANAGERS = frozenset(
    {"asyncio.timeout", "asyncio.timeout_at", "async_timeout.timeout", "async_timeout.timeout_at"}
)


def _guarded_points(try_node: TryNode, names: ExceptionNames) -> list[cst.CSTNode]:
    """The `try` body's cancellation points, seeing through `async with asyncio.timeout(...)`
    (a deadline around the awaits, not an await of its own that could be the one cancelled)."""

    def is_timeout(item: cst.WithItem) -> bool:
        call = item.item
        return isinstance(call, cst.Call) and bool(names.names_of(call.func) & _TIMEOUT_MANAGERS)

    return [
        node
        for node in walk_same_frame(try_node.body)
        if is_cancellation_point(node)
        and not (isinstance(node, cst.With) and all(map(is_timeout, node.items)))
    ]


def awaits_only_cancelled_tasks(
    try_node: TryNode, function: cst.FunctionDef, names: ExceptionNames
) -> bool:
    """The CF301 idiom: the `try` awaits nothing but tasks the function cancelled before it
    (directly, or through `gather`, `wait`, `wait_for`, `shield`).

    There the CancelledError is the child's, and the rules for that idiom handle it.
    """
    cancelled = _CancelledTasks(names)
    for node in walk_same_frame(function.body):
        if node is try_node:
            break
        cancelled.note(node)
    points = _guarded_points(try_node, names)
    return bool(points) and all(
        isinstance(point, cst.Await) and cancelled.awaited(point.expression) for point in points
    )


def awaits_only_existing_futures(try_node: TryNode, names: ExceptionNames) -> bool:
    """The `try` only awaits tasks or futures that exist already (`await self._task`).

    Someone else may cancel that task, and then the CancelledError is the child's, not ours:
    making the handler re-raise it would make the caller look cancelled. Too ambiguous to fix.
    """
    points = _guarded_points(try_node, names)
    return bool(points) and all(
        isinstance(point, cst.Await) and isinstance(point.expression, cst.Name | cst.Attribute)
        for point in points
    )


def statements_after(
    node: cst.CSTNode, ancestors: Sequence[cst.CSTNode], stop_at: cst.CSTNode
) -> Iterator[cst.BaseStatement]:
    """Statements that follow `node` in each enclosing block, innermost first, up to `stop_at`."""
    child = node
    for parent in ancestors:
        if parent is stop_at:
            return
        if isinstance(parent, cst.IndentedBlock | cst.Module):
            statements = list(parent.body)
            index = next(i for i, statement in enumerate(statements) if statement is child)
            yield from statements[index + 1 :]
        child = parent


def _noted_names(handler: Handler) -> set[str]:
    """Names and attribute chains the handler assigns: a flag, or the exception kept for later."""
    return {
        name
        for node in walk_same_frame(handler.body)
        for target in _assigned_targets(node)
        if (name := get_full_name_for_node(target))
    }


def _mentions(node: cst.CSTNode, names: set[str]) -> bool:
    return any(
        isinstance(child, cst.Name | cst.Attribute) and get_full_name_for_node(child) in names
        for child in walk_same_frame(node)
    )


def reraised_later(
    try_node: TryNode,
    handler: Handler,
    ancestors: Sequence[cst.CSTNode],
    function: cst.FunctionDef,
    names: ExceptionNames,
) -> bool:
    """A deferred re-raise: the handler notes the cancellation (a flag, the exception), and
    code after the `try` raises it again when so noted."""
    noted = _noted_names(handler)
    if not noted:
        return False

    def raises_noted(node: cst.CSTNode) -> bool:
        return any(
            isinstance(child, cst.Raise)
            and child.exc is not None
            and (names.raises_cancellation(child.exc) or _mentions(child.exc, noted))
            for child in walk_same_frame(node)
        )

    return any(
        (isinstance(node, cst.If) and _mentions(node.test, noted) and raises_noted(node.body))
        or (isinstance(node, cst.Raise) and node.exc is not None and _mentions(node.exc, noted))
        for statement in statements_after(try_node, ancestors, function)
        for node in walk_same_frame(statement)
    )


def reraise_skips_cleanup(
    try_node: TryNode,
    exits: ExitPaths,
    ancestors: Sequence[cst.CSTNode],
    cleanup_names: frozenset[str],
) -> bool:
    """Whether letting the cancellation propagate would skip cleanup after the `try`.

    When the handler falls off its end, breaks or continues, the code after the `try` (or after
    the loop) still ran on cancellation; if it cleans up, re-raising would skip that cleanup.
    """
    if not exits.kinds & {Exit.FALLTHROUGH, Exit.BREAK, Exit.CONTINUE}:
        return False
    function = enclosing_coroutine(ancestors)
    assert function is not None
    return any(
        contains_cleanup(statement, cleanup_names)
        for statement in statements_after(try_node, ancestors, function)
    )


def header_comments(handler: Handler) -> list[cst.Comment]:
    """Comments on a handler's header lines: `except ...:  # noqa`, also inside a multi-line
    tuple of types."""
    types = handler.type
    found = [n for n in walk_same_frame(types) if isinstance(n, cst.Comment)] if types else []
    body = handler.body
    if isinstance(body, cst.IndentedBlock):
        trailing = body.header
    else:
        assert isinstance(body, cst.SimpleStatementSuite)
        trailing = body.trailing_whitespace
    if trailing.comment is not None:
        found.append(trailing.comment)
    return found


def first_cancellation_handler(
    try_node: TryNode, names: ExceptionNames
) -> tuple[int, Caught] | None:
    """The handler that a CancelledError raised in the `try` body reaches, if any."""
    handlers: Sequence[Handler] = try_node.handlers
    for index, handler in enumerate(handlers):
        caught = names.caught(handler)
        if caught.catches_cancellation:
            return index, caught
    return None


def guarded_coroutine(
    try_node: TryNode, ancestors: Sequence[cst.CSTNode]
) -> cst.FunctionDef | None:
    """The `async def` whose `try` this is, if its body can be cancelled."""
    function = enclosing_coroutine(ancestors)
    if function is None or not has_cancellation_point(try_node.body):
        return None
    return function


def swallowing_paths(
    try_node: TryNode,
    handler: Handler,
    ancestors: Sequence[cst.CSTNode],
    names: ExceptionNames,
) -> ExitPaths | None:
    """How `handler` lets a cancellation of the coroutine go unraised; None if it never does.

    Silent for handlers outside coroutines or guarding no cancellation point, for handlers
    that manage cancellation on purpose, for the cancel-then-await idiom, and for a
    cancellation raised again after the `try`.
    """
    function = guarded_coroutine(try_node, ancestors)
    if function is None or manages_cancellation(handler):
        return None
    exits = handler_exits(handler, names)
    if exits.always_reraises:
        return None
    if awaits_only_cancelled_tasks(try_node, function, names):
        return None
    if reraised_later(try_node, handler, ancestors, function, names):
        return None
    return exits


def _has_jump(node: cst.CSTNode) -> bool:
    """A `return`/`break`/`continue` that would skip the `raise` after the repeated code.
    (A `raise` is no problem there: it propagates, as it did in the handler.)"""
    return any(
        isinstance(child, cst.Return | cst.Break | cst.Continue) for child in walk_same_frame(node)
    )


def _statements(body: cst.BaseSuite) -> list[cst.BaseStatement]:
    if isinstance(body, cst.SimpleStatementSuite):
        return [cst.SimpleStatementLine(body=[statement]) for statement in body.body]
    assert isinstance(body, cst.IndentedBlock)
    return list(body.body)


def reraise_statement(handler: Handler) -> cst.Raise:
    """`raise`, or in an `except*` handler bound to `group`, `raise group.exceptions[0] from None`.

    A bare `raise` in `except*` re-raises an exception group, which asyncio does not treat as
    cancellation: the task would end with an error, and `asyncio.timeout()` would let the group
    escape instead of raising TimeoutError. The group's first member is the CancelledError.
    """
    if not isinstance(handler, cst.ExceptStarHandler):
        return cst.Raise()
    assert handler.name is not None, "an except* handler needs a bound name to re-raise"
    member = cst.Subscript(
        value=cst.Attribute(value=handler.name.name, attr=cst.Name("exceptions")),
        slice=[cst.SubscriptElement(cst.Index(cst.Integer("0")))],
    )
    return cst.Raise(exc=member, cause=cst.From(cst.Name("None")))


def _is_lone_pass(line: cst.BaseStatement) -> bool:
    """A `pass` line with no comment: one that says nothing, so `raise` may take its place."""
    return (
        isinstance(line, cst.SimpleStatementLine)
        and [type(s) for s in line.body] == [cst.Pass]
        and line.trailing_whitespace.comment is None
        and not any(empty.comment for empty in line.leading_lines)
    )


def with_reraise(handler: Handler) -> Handler:
    """`handler` with a final re-raise. A trailing uncommented `pass` turns into it; a
    commented one stays, since `raise  # ignore` would contradict its own comment."""
    statement = reraise_statement(handler)
    body = handler.body
    if isinstance(body, cst.SimpleStatementSuite):
        small = list(body.body)
        if isinstance(small[-1], cst.Pass) and body.trailing_whitespace.comment is None:
            small[-1] = statement.with_changes(semicolon=small[-1].semicolon)
        else:
            small.append(statement)
        return handler.with_changes(body=body.with_changes(body=small))
    assert isinstance(body, cst.IndentedBlock)
    lines = list(body.body)
    if lines and _is_lone_pass(lines[-1]):
        lines[-1] = lines[-1].with_changes(body=[statement])
    else:
        lines.append(cst.SimpleStatementLine(body=[statement]))
    return handler.with_changes(body=body.with_changes(body=lines))


def is_inert(value: cst.BaseExpression | None) -> bool:
    """An expression whose evaluation has no side effect worth keeping."""
    if value is None or isinstance(value, cst.Name | cst.BaseNumber | cst.SimpleString):
        return True
    return isinstance(value, cst.Attribute) and is_inert(value.value)


def _ends_the_handler(statement: cst.BaseStatement) -> bool:
    """How a handler gives up the exception, or logs that it does: what a re-raising clause
    need not repeat (`pass`, `return`, `break`, `continue`, `raise Other()`, a log call)."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return all(
        isinstance(small, cst.Pass | cst.Break | cst.Continue | cst.Raise)
        or (isinstance(small, cst.Return) and is_inert(small.value))
        or (isinstance(small, cst.Expr) and is_logging_call(small.value))
        for small in statement.body
    )


def _is_log_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Expr) and is_logging_call(small.value) for small in statement.body
    )


def _outer_names(function: cst.FunctionDef) -> frozenset[str]:
    """Names the function declares `global` or `nonlocal`: assigning them is no local affair."""
    return frozenset(
        item.name.value
        for node in walk_same_frame(function.body)
        if isinstance(node, cst.Global | cst.Nonlocal)
        for item in node.names
    )


def _matters_after_raise(statement: cst.BaseStatement, outer_names: frozenset[str]) -> bool:
    """Whether leaving `statement` out on the way to a `raise` may change what the program
    does. Log lines do not; nor do a back-off `await asyncio.sleep(...)` or an update of a
    local variable computed without calls (a retry counter): the raise abandons both. An `if`
    or `for` made only of such statements, with a test or iterable free of calls, neither."""
    if isinstance(statement, cst.If | cst.For):
        header = statement.test if isinstance(statement, cst.If) else statement.iter
        branches: list[cst.CSTNode] = [statement.body]
        if statement.orelse is not None:
            branches.append(statement.orelse)
        return _has_call(header) or any(
            _matters_after_raise(inner, outer_names)
            for branch in branches
            for inner in _branch_statements(branch)
        )
    if not isinstance(statement, cst.SimpleStatementLine):
        return True
    for small in statement.body:
        if isinstance(small, cst.Expr) and (is_logging_call(small.value) or _is_sleep(small.value)):
            continue
        if (
            isinstance(small, cst.Assign | cst.AugAssign | cst.AnnAssign)
            and all(
                isinstance(target, cst.Name) and target.value not in outer_names
                for target in _assigned_targets(small)
            )
            and not _has_call(small)
        ):
            continue
        if isinstance(small, cst.Pass):
            continue
        return True
    return False


def _has_call(node: cst.CSTNode) -> bool:
    return any(isinstance(child, cst.Call | cst.Await) for child in walk_same_frame(node))


def _branch_statements(branch: cst.CSTNode) -> list[cst.BaseStatement]:
    """The statements of an `if`/`for` body, `else`, or `elif` (itself one statement)."""
    if isinstance(branch, cst.If):
        return [branch]
    if isinstance(branch, cst.Else):
        branch = branch.body
    assert isinstance(branch, cst.BaseSuite)
    return _statements(branch)


def _is_sleep(expression: cst.BaseExpression) -> bool:
    """`await asyncio.sleep(...)` (or `anyio`/`trio.sleep`)."""
    return (
        isinstance(expression, cst.Await)
        and isinstance(expression.expression, cst.Call)
        and isinstance(expression.expression.func, cst.Attribute | cst.Name)
        and called_name(expression.expression) == "sleep"
    )


@dataclass(frozen=True)
class ReraisingClause:
    handler: Handler
    complete: bool
    """Whether what it leaves out of the handler does not matter once the exception propagates
    (logging, a back-off sleep, a retry counter): then it changes nothing but the swallowing."""


def reraising_clause(
    handler: Handler,
    types: cst.BaseExpression,
    cleanup_names: frozenset[str],
    name: cst.AsName | None,
    function: cst.FunctionDef,
) -> ReraisingClause | None:
    """A clause `except <types>: ...; raise` to insert before `handler`.

    It repeats the handler's statements up to its last cleanup call (log lines aside), so that
    cancellation, which the clause now lets through, still closes and releases what the handler
    did. `name` is the binding an `except*` re-raise needs; the handler's own is kept if the
    repeated code uses it. None when a jump sits inside the code to repeat.
    """
    statements = _statements(handler.body)
    end = len(statements)
    while end and _ends_the_handler(statements[end - 1]):
        end -= 1
    cleanup_end = max(
        (i + 1 for i in range(end) if contains_cleanup(statements[i], cleanup_names)), default=0
    )
    repeated = [s for s in statements[:cleanup_end] if not _is_log_line(s)]
    if any(_has_jump(statement) for statement in repeated):
        return None
    bound = handler.name
    if bound is not None and any(
        _mentions(statement, {get_full_name_for_node(bound.name) or ""}) for statement in repeated
    ):
        name = bound
    clause: Handler
    if isinstance(handler, cst.ExceptStarHandler):
        clause = cst.ExceptStarHandler(body=cst.IndentedBlock(body=repeated), type=types, name=name)
    else:
        clause = cst.ExceptHandler(body=cst.IndentedBlock(body=repeated), type=types, name=name)
    outer_names = _outer_names(function)
    complete = not any(_matters_after_raise(s, outer_names) for s in statements[cleanup_end:end])
    return ReraisingClause(with_reraise(clause), complete)
