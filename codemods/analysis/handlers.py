"""Facts about exception handlers in coroutines that several rules rely on."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.blocks import comments_within, header_end
from codemods.analysis.cleanup import is_logging_call
from codemods.analysis.exits import Exit, ExitPaths, handler_exits
from codemods.analysis.names import Caught, ExceptionNames
from codemods.analysis.scope import (
    assigned_targets,
    children,
    dotted_name,
    enclosing_coroutine,
    has_cancellation_point,
    mentions,
    method_receiver,
    walk,
    walk_same_frame,
)
from codemods.analysis.tasks import awaits_cancelled_task, awaits_only_existing_futures

Handler = cst.ExceptHandler | cst.ExceptStarHandler
TryNode = cst.Try | cst.TryStar
TryT = TypeVar("TryT", cst.Try, cst.TryStar)


def _calls_method(node: cst.CSTNode, method: str) -> bool:
    return any(method_receiver(child, method) is not None for child in walk_same_frame(node))


def manages_cancellation(handler: Handler) -> bool:
    """Handlers that call `uncancel()` or test `cancelling()` decide on purpose; leave them be.

    Merely logging `cancelling()` is no decision: it must be part of a test or comparison.
    A decision inside a nested `except` is about that `try`'s exception, not this one's.
    """
    own = list(_outside_nested_handlers(handler.body))
    if any(method_receiver(node, "uncancel") is not None for node in own):
        return True
    tests = (
        node.test if isinstance(node, cst.If | cst.While | cst.IfExp | cst.Assert) else node
        for node in own
        if isinstance(node, cst.If | cst.While | cst.IfExp | cst.Assert | cst.Comparison)
    )
    return any(_calls_method(test, "cancelling") for test in tests)


def _outside_nested_handlers(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and its descendants in its own frame, but not the handlers of nested `try`s."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            continue
        stack.extend(
            child
            for child in children(current)
            if not isinstance(child, cst.ExceptHandler | cst.ExceptStarHandler)
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
        for target in assigned_targets(node)
        if (name := get_full_name_for_node(target))
    }


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
            and (names.raises_cancellation(child.exc) or mentions(child.exc, noted))
            for child in walk_same_frame(node)
        )

    return any(
        (isinstance(node, cst.If) and mentions(node.test, noted) and raises_noted(node.body))
        or (isinstance(node, cst.Raise) and node.exc is not None and mentions(node.exc, noted))
        for statement in statements_after(try_node, ancestors, function)
        for node in walk_same_frame(statement)
    )


_NOT_HANDING_ON = frozenset({"isinstance", "issubclass", "type", "str", "repr", "print", "id"})
"""Builtins that look at an exception without passing it on to anyone."""


def hands_on_exception(handler: Handler) -> bool:
    """The handler gives the exception object to someone who will act on it: passes it to a
    call that is not logging (`fut.set_exception(exc)`, `queue.put_nowait(exc)`,
    `errors.append(exc)`), or stores it in an attribute or container (`self._error = exc`).
    The cancellation is then not swallowed but delivered elsewhere, on purpose."""
    if handler.name is None or not isinstance(handler.name.name, cst.Name):
        return False
    bound = handler.name.name.value
    raised = {
        id(inner)
        for node in walk_same_frame(handler.body)
        if isinstance(node, cst.Raise)
        for inner in walk_same_frame(node)
    }
    for node in walk_same_frame(handler.body):
        if id(node) in raised:
            continue  # `raise Other(exc)` wraps it: that is raising another exception
        if isinstance(node, cst.Call) and not is_logging_call(node):
            if get_full_name_for_node(node.func) in _NOT_HANDING_ON:
                continue
            if any(_is_name(arg.value, bound) for arg in node.args):
                return True
        if (
            isinstance(node, cst.Assign)
            and _is_name(node.value, bound)
            and any(not isinstance(target.target, cst.Name) for target in node.targets)
        ):
            return True
    return False


def _is_name(expr: cst.BaseExpression, name: str) -> bool:
    return isinstance(expr, cst.Name) and expr.value == name


def _translates_on_purpose(exits: ExitPaths) -> bool:
    """Every path raises, and some re-raise the cancellation: the handler knows to let it
    through, and turns it into another exception on the others on purpose (`if closed:
    raise ConnectionClosedError`, as `asyncio.timeout()` turns it into `TimeoutError`)."""
    return Exit.RERAISE in exits.kinds and exits.kinds <= {Exit.RERAISE, Exit.RAISE_OTHER}


def _awaits_what_the_module_cancels(
    try_node: TryNode,
    ancestors: Sequence[cst.CSTNode],
    function: cst.FunctionDef,
    names: ExceptionNames,
) -> bool:
    """The `try` only awaits existing futures (`await self._done`), and another function of
    the module cancels each of them (`self._done.cancel()`): the CancelledError caught is
    that future's result, the way its owner signals "stopped", not the coroutine's own.
    (A `cancel()` in the coroutine itself is CF301's idiom, judged there.)"""
    if not awaits_only_existing_futures(try_node, names) or not ancestors:
        return False
    awaited = {
        dotted_name(node.expression)
        for node in walk_same_frame(try_node.body)
        if isinstance(node, cst.Await)
    }
    own = {id(node) for node in walk(function)}
    cancelled = {
        dotted_name(receiver)
        for node in walk(ancestors[-1])
        if id(node) not in own and (receiver := method_receiver(node, "cancel")) is not None
    }
    return None not in awaited and awaited <= cancelled


def header_comments(handler: Handler) -> list[cst.Comment]:
    """Comments on a handler's header lines: `except ...:  # noqa`, also inside a multi-line
    tuple of types."""
    types = handler.type
    found = [n for n in walk_same_frame(types) if isinstance(n, cst.Comment)] if types else []
    trailing = header_end(handler.body)
    if trailing.comment is not None:
        found.append(trailing.comment)
    return found


def with_header_comments(node: cst.With) -> list[cst.Comment]:
    """Comments in the `with` header, where a `# noqa` for the flagged item may stand: among
    its items (when they span lines) and at the end of the `with` line."""
    header: list[object] = [*node.items, node.lpar, node.rpar, node.whitespace_before_colon]
    header.append(header_end(node.body))
    parts = [part for part in header if isinstance(part, cst.CSTNode)]
    return [comment for part in parts for comment in comments_within(part)]


def enclosing_guards(node: cst.CSTNode, ancestors: Sequence[cst.CSTNode]) -> list[cst.CSTNode]:
    """The handlers and `finally` blocks of the `try` statements whose body holds `node`,
    nearest first, within its function: what runs after `node` on an error."""
    guards: list[cst.CSTNode] = []
    child = node
    for ancestor in ancestors:
        if isinstance(ancestor, cst.FunctionDef | cst.Lambda | cst.ClassDef):
            break
        if isinstance(ancestor, cst.Try | cst.TryStar) and child is ancestor.body:
            guards += ancestor.handlers
            if ancestor.finalbody is not None:
                guards.append(ancestor.finalbody)
        child = ancestor
    return guards


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
    exits = handler_exits(handler, names, as_cancellation=True)
    if exits.always_reraises or _translates_on_purpose(exits):
        return None
    if _awaits_what_the_module_cancels(try_node, ancestors, function, names):
        return None
    if awaits_cancelled_task(try_node, function, names):
        return None
    if reraised_later(try_node, handler, ancestors, function, names):
        return None
    if hands_on_exception(handler):
        return None
    return exits
