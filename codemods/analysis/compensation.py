"""What an error handler does before it re-raises, judged by its statements, not by a word
list: undoing state (compensation that cancellation must not skip), reporting the error, or
something else.

Compensation: a cleanup call of the vocabulary, resetting a reference or flag (`self._conn =
None`, `self._busy = False`), undoing a count (`self._in_flight -= 1`), removing from a registry
(`del self._clients[key]`, `self._waiters.pop(key, None)`), acting on what the function holds
(`self._queue.put_nowait(holder)` for a `holder` it took), or calling the object's own private
helper (`self._abort()`). Reporting: error-level logging, counters, handing the exception on
(`waiter.set_exception(exc)`, `await self._events.put(repr(exc))`): run on a cancellation too,
it would report the cancellation as an error.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.blocks import (
    bound_names,
    leaves_block,
    lines_equal,
    referenced_names,
    same_code,
    statements,
)
from codemods.analysis.cleanup import (
    always_cleans_up,
    call_of,
    called_name,
    is_cleanup_call,
    is_logging_call,
    words,
)
from codemods.analysis.exits import Exit, handler_exits
from codemods.analysis.names import ExceptionNames, handler_types
from codemods.analysis.scope import assigned_targets, has_call, mentions, walk_same_frame


class Effect(enum.Enum):
    QUIET = "logs below warning level, passes or raises"
    UNDO = "undoes state or acts on what the function holds"
    REPORT = "reports the error (error-level log, counter, the exception handed on)"
    OTHER = "does something else"


_QUIET_LOGGING = frozenset({"debug", "info"})
_REMOVING = frozenset({"pop", "popitem", "discard", "remove", "clear", "remove_done_callback"})
"""Methods that take something out of a registry again."""
_COUNTING = frozenset({"inc", "increment", "incr", "observe", "record_exception", "capture"})


@dataclass(frozen=True)
class Judge:
    """Classifies a handler's statements. `held` are the names and attribute chains the
    function bound before the handler's `try` (what it holds: a pooled `holder`, a `conn`);
    `error` is the name the handler binds the exception to, if any."""

    held: frozenset[str]
    error: str | None
    cleanup_names: frozenset[str]

    def effects(self, body: Sequence[cst.BaseStatement]) -> set[Effect]:
        found: set[Effect] = set()
        for statement in body:
            found |= self.statement(statement)
        return found

    def statement(self, statement: cst.BaseStatement) -> set[Effect]:
        if isinstance(statement, cst.SimpleStatementLine):
            return {self.small(small) for small in statement.body}
        if isinstance(statement, cst.If) and not has_call(statement.test):
            found = self.effects(statements(statement.body))
            if isinstance(statement.orelse, cst.If):
                found |= self.statement(statement.orelse)
            elif isinstance(statement.orelse, cst.Else):
                found |= self.effects(statements(statement.orelse.body))
            return found
        if isinstance(statement, cst.With) and all(
            isinstance(item.item, cst.Call) and called_name(item.item) == "suppress"
            for item in statement.items
        ):
            return self.effects(statements(statement.body))
        if isinstance(statement, cst.Try):
            blocks = [statement.body, *(handler.body for handler in statement.handlers)]
            blocks += [part.body for part in (statement.orelse, statement.finalbody) if part]
            return set().union(*(self.effects(statements(block)) for block in blocks))
        return {Effect.OTHER}

    def small(self, small: cst.BaseSmallStatement) -> Effect:
        if isinstance(small, cst.Pass | cst.Raise):
            return Effect.QUIET
        if self.error is not None and mentions(small, {self.error}):
            return Effect.REPORT  # `self._error = exc`, `fut.set_exception(exc)`
        if isinstance(small, cst.Expr):
            return self._call(small.value)
        if isinstance(small, cst.Assign | cst.AnnAssign):
            if all(isinstance(target, cst.Name) for target in assigned_targets(small)):
                return Effect.QUIET  # a local the raise abandons anyway
            if not _clears(small.value) and _names_failure(small):
                return Effect.REPORT  # `self._errored = True`, `self.state = State.ERROR`
            return Effect.UNDO if _is_inert(small.value) else Effect.OTHER
        if isinstance(small, cst.AugAssign):
            undoes = isinstance(small.operator, cst.SubtractAssign) and not has_call(small.value)
            return Effect.UNDO if undoes else Effect.REPORT
        if isinstance(small, cst.Del):
            return Effect.UNDO
        return Effect.OTHER

    def _call(self, awaited_or_not: cst.BaseExpression) -> Effect:
        expression = call_of(awaited_or_not)
        if expression is None:
            return Effect.OTHER
        if is_logging_call(expression):
            return Effect.QUIET if called_name(expression) in _QUIET_LOGGING else Effect.REPORT
        name = called_name(expression)
        if name in _COUNTING or any(_names_failure(arg.value) for arg in expression.args):
            return Effect.REPORT  # `await self._set_state(State.Error)`
        if is_cleanup_call(expression, self.cleanup_names) or name in _REMOVING:
            return Effect.UNDO
        func = expression.func
        receiver = func.value if isinstance(func, cst.Attribute) else None
        if receiver is not None and mentions(receiver, set(self.held)):
            return Effect.UNDO
        if any(mentions(arg.value, set(self.held)) for arg in expression.args):
            return Effect.UNDO
        if _is_own_private_helper(func):
            return Effect.UNDO
        return Effect.OTHER

    def always_undoes(self, body: Sequence[cst.BaseStatement]) -> bool:
        """Whether every path through `body` undoes something before control can leave it."""
        for statement in body:
            if self._undoes_on_entry(statement):
                return True
            if leaves_block(statement) or any(
                isinstance(node, cst.Raise) for node in walk_same_frame(statement)
            ):
                return False
        return False

    def _undoes_on_entry(self, statement: cst.BaseStatement) -> bool:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if self.small(small) is Effect.UNDO:
                    return True
                if isinstance(small, cst.Raise | cst.Return | cst.Break | cst.Continue):
                    return False
            return False
        if isinstance(statement, cst.If):
            orelse = statement.orelse
            if orelse is None:
                return False
            rest = [orelse] if isinstance(orelse, cst.If) else statements(orelse.body)
            return self.always_undoes(statements(statement.body)) and self.always_undoes(rest)
        if isinstance(statement, cst.Try | cst.With):
            return self.always_undoes(statements(statement.body))
        return False


def _is_inert(value: cst.BaseExpression | None) -> bool:
    """A value whose assignment restores or clears state: a constant, a name or attribute
    chain, an empty collection (`None`, `False`, `previous`, `{}`)."""
    if value is None or isinstance(value, cst.Name | cst.BaseNumber | cst.SimpleString):
        return True
    if isinstance(value, cst.Attribute):
        return _is_inert(value.value)
    return isinstance(value, cst.List | cst.Dict | cst.Set | cst.Tuple) and not value.elements


_FAILURE_WORDS = frozenset({"error", "errored", "exception", "fail", "failed", "failure", "fault"})
"""Words of a failure status: what a handler records so that later calls see the error."""


def _names_failure(node: cst.CSTNode) -> bool:
    """Whether `node` names a failure status (`self._connection_error`, `State.ERROR`,
    `PubSubState.Error`): recording that the exchange failed reports the error, it undoes
    nothing; run on a cancellation it would mark a cancelled call as failed for everyone."""
    return any(
        isinstance(child, cst.Name) and not _FAILURE_WORDS.isdisjoint(words(child.value))
        for child in walk_same_frame(node)
    )


def _clears(value: cst.BaseExpression | None) -> bool:
    """`None`, `False`, `0` or an empty collection: a reset, whatever the target's name."""
    if isinstance(value, cst.Name):
        return value.value in {"None", "False"}
    if isinstance(value, cst.Integer):
        return value.value == "0"
    return isinstance(value, cst.List | cst.Dict | cst.Set | cst.Tuple) and not value.elements


def _is_own_private_helper(func: cst.BaseExpression) -> bool:
    """`self._abort`: a private method of the object itself, called on its own behalf."""
    return (
        isinstance(func, cst.Attribute)
        and isinstance(func.value, cst.Name)
        and func.value.value in {"self", "cls"}
        and func.attr.value.startswith("_")
        and not func.attr.value.startswith("__")
    )


def held_before(function: cst.FunctionDef, node: cst.CSTNode) -> frozenset[str]:
    """Names and attribute chains the function binds to the result of a call before `node`
    in source order (`holder = await self._queue.get()`, `conn = pool.acquire()`), and what it
    acquires with `await x.acquire()`: what a handler after them may give back."""
    order, holdings = _holdings(function)
    before = order.get(id(node), len(order))
    found = {name for index, names in holdings if index < before for name in names}
    found.discard("self")
    return frozenset(found)


@functools.lru_cache(maxsize=8)  # asked for each handler of each `try` of the function
def _holdings(function: cst.FunctionDef) -> tuple[dict[int, int], list[tuple[int, list[str]]]]:
    """The place in source order of each node of the function's own frame (by identity),
    and the names each node that holds something (see `held_before`) holds, by place."""
    order: dict[int, int] = {}
    holdings: list[tuple[int, list[str]]] = []
    for index, child in enumerate(walk_same_frame(function.body)):
        order[id(child)] = index
        # (By type: every node is tested, and neither class has subclasses.)
        if type(child) is cst.Assign and has_call(child.value):
            names = [name for target in child.targets for name in _target_names(target.target)]
            holdings.append((index, names))
        elif type(child) is cst.Call and called_name(child) == "acquire":
            func = child.func
            if isinstance(func, cst.Attribute) and (name := get_full_name_for_node(func.value)):
                holdings.append((index, [name]))
    return order, holdings


def _target_names(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Tuple | cst.List):
        return [name for element in target.elements for name in _target_names(element.value)]
    name = get_full_name_for_node(target)
    return [name] if name else []


@dataclass(frozen=True)
class Compensation:
    """What a handler that compensates and then raises does before the raise: the lines a
    cancellation path must run too, and whether they can be run there."""

    handler: cst.ExceptHandler
    lines: tuple[cst.BaseStatement, ...]
    """The handler's statements without its log lines and the `raise` that ends it."""
    effects: frozenset[Effect]
    why_not_repeatable: str | None
    """Why the lines cannot run elsewhere (None: they can)."""

    @property
    def only_undoes(self) -> bool:
        return self.effects <= {Effect.QUIET, Effect.UNDO}

    def same_as(self, other: Compensation) -> bool:
        return lines_equal(self.lines, other.lines)


def compensation(
    node: cst.Try,
    handler: cst.ExceptHandler,
    function: cst.FunctionDef,
    names: ExceptionNames,
    cleanup_names: frozenset[str],
) -> Compensation | None:
    """The compensation of `handler`, if every path through it undoes something (a cleanup
    call, or what `Judge` counts as undoing) and then raises; None otherwise."""
    error = handler.name.name if handler.name is not None else None
    error_name = error.value if isinstance(error, cst.Name) else None
    judge = Judge(held_before(function, node), error_name, cleanup_names)
    body = statements(handler.body)
    if not (always_cleans_up(body, cleanup_names) or judge.always_undoes(body)):
        return None
    kinds = handler_exits(handler, names).kinds
    if not kinds or not kinds <= {Exit.RERAISE, Exit.RAISE_OTHER}:
        return None
    end = len(body)
    while end and _ends_by_raising(body[end - 1]):
        end -= 1
    lines = tuple(line for line in body[:end] if not _is_log_line(line))
    return Compensation(
        handler, lines, frozenset(judge.effects(lines)), _why_not_repeatable(node, lines, error)
    )


def _why_not_repeatable(
    node: cst.Try, lines: Sequence[cst.BaseStatement], error: cst.BaseExpression | None
) -> str | None:
    if not lines:
        return "the handler's undo is entangled with its `raise`"
    if any(
        isinstance(child, cst.Raise | cst.Return | cst.Break | cst.Continue)
        for line in lines
        for child in walk_same_frame(line)
    ):
        return "the handler's undo is entangled with a `raise` or a jump"
    used = set().union(*map(referenced_names, lines))
    if error is not None and get_full_name_for_node(error) in used:
        return "the handler's undo uses the exception it caught"
    if not used.isdisjoint(bound_names(statements(node.body))):
        return "the handler's undo uses a name the `try` binds, unbound if cancelled before it"
    return None


def _ends_by_raising(line: cst.BaseStatement) -> bool:
    """A last line that raises or logs that it does (what a cancellation clause need not
    repeat)."""
    return isinstance(line, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Raise | cst.Pass)
        or (isinstance(small, cst.Expr) and is_logging_call(small.value))
        for small in line.body
    )


def _is_log_line(line: cst.BaseStatement) -> bool:
    return isinstance(line, cst.SimpleStatementLine) and all(
        isinstance(small, cst.Expr) and is_logging_call(small.value) for small in line.body
    )


def repeated_elsewhere(node: cst.Try, lines: Sequence[cst.BaseStatement]) -> bool:
    """Whether the `try` body, `else` or `finally` runs one of `lines` too, at any depth:
    then the cleanup belongs in `finally` (CF201's case), not on one more failing path."""
    suites = [node.body] + [part.body for part in (node.orelse, node.finalbody) if part]
    # A one-line suite's statements (`try: x(); conn.close()`) are lines of their own.
    others = [
        other
        for suite in suites
        for line in statements(suite)
        for other in walk_same_frame(line)
        if isinstance(other, cst.BaseStatement)
    ]
    return any(same_code(line, other) for line in lines for other in others)


_DATA_ERRORS = frozenset(
    f"builtins.{name}"
    for name in (
        "ValueError",
        "TypeError",
        "KeyError",
        "IndexError",
        "LookupError",
        "AttributeError",
        "UnicodeError",
        "UnicodeDecodeError",
    )
)
"""Errors about the values a coroutine got, not about the exchange it was in."""


def handles_only_data_errors(handler: cst.ExceptHandler, names: ExceptionNames) -> bool:
    """`except ValueError:`: an answer that made no sense, not an interrupted exchange; what
    the handler undoes then is about the data, not about being stopped midway."""
    return all(names.names_of(expr) & _DATA_ERRORS for expr in handler_types(handler))


def deleted_entry_owners(lines: Sequence[cst.BaseStatement]) -> frozenset[str]:
    """The attributes an entry of which the lines delete: `del self._pending[key]` ->
    `self._pending`."""
    found: set[str] = set()
    for line in lines:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for small in line.body:
            if isinstance(small, cst.Del):
                found.update(_entry_owners(small.target))
    return frozenset(found)


def _entry_owners(target: cst.BaseExpression) -> list[str]:
    if isinstance(target, cst.Tuple | cst.List):
        return [name for element in target.elements for name in _entry_owners(element.value)]
    if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute):
        name = get_full_name_for_node(target.value)
        return [name] if name else []
    return []


def rebound_outside_init(cls: cst.ClassDef, attributes: frozenset[str]) -> bool:
    """Whether a method of `cls` other than `__init__` binds one of `attributes` anew or
    empties it (`self._pending = {}`, `self._pending.clear()` in `stop()`): whoever cancels
    a coroutine of the object may have done so before the coroutine resumes."""
    for statement in cls.body.body:
        if not isinstance(statement, cst.FunctionDef) or statement.name.value == "__init__":
            continue
        if any(_resets(node, attributes) for node in walk_same_frame(statement.body)):
            return True
    return False


def _resets(node: cst.CSTNode, attributes: frozenset[str]) -> bool:
    if isinstance(node, cst.Assign | cst.AnnAssign):
        return any(
            isinstance(target, cst.Attribute) and get_full_name_for_node(target) in attributes
            for target in assigned_targets(node)
        )
    return (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == "clear"
        and get_full_name_for_node(node.func.value) in attributes
    )
