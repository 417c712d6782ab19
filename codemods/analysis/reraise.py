"""Building re-raising code: the clause inserted before a handler, a `raise` appended to one."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import TypeVar

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.blocks import statements
from codemods.analysis.cleanup import called_name, contains_cleanup, is_logging_call
from codemods.analysis.handlers import Handler
from codemods.analysis.scope import assigned_targets, has_call, mentions, walk_same_frame


def _has_jump(node: cst.CSTNode) -> bool:
    """A `return`/`break`/`continue` that would skip the `raise` after the repeated code.
    (A `raise` is no problem there: it propagates, as it did in the handler.)"""
    return any(
        isinstance(child, cst.Return | cst.Break | cst.Continue) for child in walk_same_frame(node)
    )


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


def _is_placeholder(small: cst.BaseSmallStatement) -> bool:
    """`pass` or `...`: says nothing but "empty", so a statement after it may take its place."""
    return isinstance(small, cst.Pass) or (
        isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis)
    )


def with_reraise(handler: Handler) -> Handler:
    """`handler` with a final re-raise. A trailing `pass` (or `...`) turns into it, so that no
    placeholder is left in front of a statement; its comments stay, a comment at its end on
    a line of its own above the `raise` (`raise  # ignore` would contradict it)."""
    statement = reraise_statement(handler)
    body = handler.body
    if isinstance(body, cst.SimpleStatementSuite):
        small = list(body.body)
        if _is_placeholder(small[-1]):
            small[-1] = statement.with_changes(semicolon=small[-1].semicolon)
        else:
            small.append(statement)
        return handler.with_changes(body=body.with_changes(body=small))
    assert isinstance(body, cst.IndentedBlock)
    lines = list(body.body)
    last = lines[-1] if lines else None
    if isinstance(last, cst.SimpleStatementLine) and _is_placeholder(last.body[-1]):
        comment = last.trailing_whitespace.comment
        above = [cst.EmptyLine(comment=comment)] if comment and len(last.body) == 1 else []
        replaced = last.with_changes(
            body=[*last.body[:-1], statement.with_changes(semicolon=last.body[-1].semicolon)],
            leading_lines=[*last.leading_lines, *above],
            trailing_whitespace=cst.TrailingWhitespace() if above else last.trailing_whitespace,
        )
        lines[-1] = replaced
    else:
        lines.append(cst.SimpleStatementLine(body=[statement]))
    return handler.with_changes(body=body.with_changes(body=lines))


def is_inert(value: cst.BaseExpression | None) -> bool:
    """An expression whose evaluation has no side effect worth keeping."""
    if value is None or isinstance(value, cst.Name | cst.BaseNumber | cst.SimpleString):
        return True
    return isinstance(value, cst.Attribute) and is_inert(value.value)


def _is_log(small: cst.BaseSmallStatement) -> bool:
    return isinstance(small, cst.Expr) and is_logging_call(small.value)


def _ends_the_handler(statement: cst.BaseStatement) -> bool:
    """How a handler gives up the exception, or logs that it does: what a re-raising clause
    need not repeat (`pass`, `return`, `break`, `continue`, `raise Other()`, a log call)."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return all(
        isinstance(small, cst.Pass | cst.Break | cst.Continue | cst.Raise)
        or (isinstance(small, cst.Return) and is_inert(small.value))
        or _is_log(small)
        for small in statement.body
    )


def _is_log_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(map(_is_log, statement.body))


def outer_names(function: cst.FunctionDef) -> frozenset[str]:
    """Names whose assignment is no local affair a `raise` may abandon: those the function
    declares `global` or `nonlocal`, and those a `finally` of it reads (a flag such as
    `cancelled = True` that the `finally` acts on)."""
    declared = {
        item.name.value
        for node in walk_same_frame(function.body)
        if isinstance(node, cst.Global | cst.Nonlocal)
        for item in node.names
    }
    read_in_finally = {
        node.value
        for final in walk_same_frame(function.body)
        if isinstance(final, cst.Finally)
        for node in walk_same_frame(final)
        if isinstance(node, cst.Name)
    }
    return frozenset(declared | read_in_finally)


def matters_after_raise(statement: cst.BaseStatement, outer_names: frozenset[str]) -> bool:
    """Whether leaving `statement` out on the way to a `raise` may change what the program
    does. Log lines do not; nor do a back-off `await asyncio.sleep(...)` or an update of a
    local variable computed without calls (a retry counter): the raise abandons both. An `if`
    or `for` made only of such statements, with a test or iterable free of calls, neither."""
    if isinstance(statement, cst.If | cst.For):
        header = statement.test if isinstance(statement, cst.If) else statement.iter
        branches: list[cst.CSTNode] = [statement.body]
        if statement.orelse is not None:
            branches.append(statement.orelse)
        return has_call(header) or any(
            matters_after_raise(inner, outer_names)
            for branch in branches
            for inner in _branchstatements(branch)
        )
    if not isinstance(statement, cst.SimpleStatementLine):
        return True
    for small in statement.body:
        if _is_log(small) or (isinstance(small, cst.Expr) and _is_sleep(small.value)):
            continue
        if (
            isinstance(small, cst.Assign | cst.AugAssign | cst.AnnAssign)
            and all(
                isinstance(target, cst.Name) and target.value not in outer_names
                for target in assigned_targets(small)
            )
            and not has_call(small)
        ):
            continue
        if isinstance(small, cst.Pass):
            continue
        return True
    return False


def _branchstatements(branch: cst.CSTNode) -> list[cst.BaseStatement]:
    """The statements of an `if`/`for` body, `else`, or `elif` (itself one statement)."""
    if isinstance(branch, cst.If):
        return [branch]
    if isinstance(branch, cst.Else):
        branch = branch.body
    assert isinstance(branch, cst.BaseSuite)
    return statements(branch)


def _is_state_change(statement: cst.BaseStatement, outer: frozenset[str]) -> bool:
    """An assignment, computed without calls, of state that outlives the handler: an
    attribute, an item, a `global` or `nonlocal` name, a flag a `finally` reads
    (`self._conn = None`, `cancelled = True`). A re-raising clause must keep it."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    return all(
        isinstance(small, cst.Assign | cst.AugAssign | cst.AnnAssign)
        and not has_call(small)
        and any(
            not isinstance(target, cst.Name) or target.value in outer
            for target in assigned_targets(small)
        )
        for small in statement.body
    )


def _is_sleep_line(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Expr) and _is_sleep(small.value) for small in statement.body
    )


def _is_sleep(expression: cst.BaseExpression) -> bool:
    """`await asyncio.sleep(...)` (or `anyio`/`trio.sleep`)."""
    return (
        isinstance(expression, cst.Await)
        and isinstance(expression.expression, cst.Call)
        and called_name(expression.expression) == "sleep"
    )


@dataclass(frozen=True)
class ReraisingClause:
    handler: Handler
    complete: bool
    """Whether what it leaves out of the handler does not matter once the exception
    propagates (logging, a back-off sleep, a retry counter): then it changes nothing but the
    swallowing."""


def reraising_clause(
    handler: Handler,
    types: cst.BaseExpression,
    cleanup_names: frozenset[str],
    name: cst.AsName | None,
    function: cst.FunctionDef,
) -> ReraisingClause | None:
    """A clause `except <types>: ...; raise` to insert before `handler`.

    It repeats the handler's statements up to its last cleanup call or state change (log
    lines and back-off sleeps aside), so that cancellation, which the clause now lets
    through, still closes, releases and records what the handler did; the rest (a retry,
    a reconnect) was meant for errors. `name` is the binding an `except*` re-raise needs;
    the handler's own is kept if the repeated code uses it. None when a jump sits inside
    the code to repeat.
    """
    lines = statements(handler.body)
    end = len(lines)
    while end and _ends_the_handler(lines[end - 1]):
        end -= 1
    # Loosely named: in doubt, the clause repeats more of the handler.
    cleanup_end = max(
        (i + 1 for i in range(end) if contains_cleanup(lines[i], cleanup_names, loose=True)),
        default=0,
    )
    outer = outer_names(function)
    work_end = max(
        (i + 1 for i in range(cleanup_end, end) if _is_state_change(lines[i], outer)),
        default=cleanup_end,
    )
    repeated = [s for s in lines[:work_end] if not _is_log_line(s) and not _is_sleep_line(s)]
    if any(_has_jump(statement) for statement in repeated):
        return None
    bound = handler.name
    if bound is not None and any(
        mentions(statement, {get_full_name_for_node(bound.name) or ""}) for statement in repeated
    ):
        name = bound
    clause: Handler
    if isinstance(handler, cst.ExceptStarHandler):
        clause = cst.ExceptStarHandler(body=cst.IndentedBlock(body=repeated), type=types, name=name)
    else:
        clause = cst.ExceptHandler(body=cst.IndentedBlock(body=repeated), type=types, name=name)
    complete = not any(matters_after_raise(s, outer) for s in lines[work_end:end])
    return ReraisingClause(with_reraise(clause), complete)


class JumpsToRaise(cst.CSTTransformer):
    """A rule's part that turns the `return`/`break`/`continue` statements it planned to
    replace (nodes of the original tree, in `jumps_to_raise`) into re-raises as it leaves them."""

    jumps_to_raise: dict[cst.CSTNode, cst.Raise]

    def leave_Return(
        self, original_node: cst.Return, updated_node: cst.Return
    ) -> cst.BaseSmallStatement:
        return self._raising(original_node, updated_node)

    def leave_Break(
        self, original_node: cst.Break, updated_node: cst.Break
    ) -> cst.BaseSmallStatement:
        return self._raising(original_node, updated_node)

    def leave_Continue(
        self, original_node: cst.Continue, updated_node: cst.Continue
    ) -> cst.BaseSmallStatement:
        return self._raising(original_node, updated_node)

    def _raising(
        self, original: cst.BaseSmallStatement, updated: cst.Return | cst.Break | cst.Continue
    ) -> cst.BaseSmallStatement:
        raising = self.jumps_to_raise.pop(original, None)
        return updated if raising is None else raising.with_changes(semicolon=updated.semicolon)


_TryT = TypeVar("_TryT", cst.Try, cst.TryStar)


class PlansOnTry(JumpsToRaise):
    """A rule's part that decides its fix when it enters a `try` (`plan`), before the
    handler's jumps are left, and applies it when it leaves the `try` (`apply`)."""

    @abstractmethod
    def plan(self, node: cst.Try | cst.TryStar) -> None: ...

    @abstractmethod
    def apply(self, original: _TryT, updated: _TryT) -> _TryT: ...

    def visit_Try(self, node: cst.Try) -> None:
        self.plan(node)

    def visit_TryStar(self, node: cst.TryStar) -> None:
        self.plan(node)

    def leave_Try(self, original_node: cst.Try, updated_node: cst.Try) -> cst.Try:
        return self.apply(original_node, updated_node)

    def leave_TryStar(self, original_node: cst.TryStar, updated_node: cst.TryStar) -> cst.TryStar:
        return self.apply(original_node, updated_node)
