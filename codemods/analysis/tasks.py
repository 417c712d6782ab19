"""Cancelled tasks: telling the CancelledError of a child the function stopped from its own.

`task.cancel()` then `await task` raises the child's CancelledError in the caller. A handler
around such an await swallows the child's cancellation, not the caller's: the CF1 rules leave
it to the rule for that idiom.
"""

from __future__ import annotations

import libcst as cst

from codemods.analysis.names import ExceptionNames
from codemods.analysis.scope import (
    assigned_targets,
    is_cancellation_point,
    method_receiver,
    walk_same_frame,
)

_WAITERS = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.wait_for", "asyncio.shield"})
"""Awaiting these on cancelled tasks raises those tasks' CancelledError, not ours."""


class _CancelledTasks:
    """What a function cancelled before a point: tasks, and collections cancelled in a loop."""

    def __init__(self, names: ExceptionNames) -> None:
        self.names = names
        self.tasks: list[cst.BaseExpression] = []
        self.collections: list[cst.BaseExpression] = []

    def note(self, node: cst.CSTNode) -> None:
        target = method_receiver(node, "cancel")
        if target is not None:
            self.tasks.append(target)
        if isinstance(node, cst.For) and isinstance(node.target, cst.Name):
            loop_variable = node.target.value
            if any(
                isinstance(task, cst.Name) and task.value == loop_variable
                for task in (method_receiver(n, "cancel") for n in walk_same_frame(node.body))
            ):
                self.collections.append(node.iter)
        for assigned in assigned_targets(node):
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


Guarded = cst.Try | cst.TryStar | cst.With
"""A statement whose body an exception handler or `suppress(...)` guards."""


def _guarded_points(try_node: Guarded, names: ExceptionNames) -> list[cst.CSTNode]:
    """The guarded body's cancellation points, seeing through `async with asyncio.timeout(...)`
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
    try_node: Guarded, function: cst.FunctionDef, names: ExceptionNames
) -> bool:
    """The CF301 idiom: the `try` (or `with suppress(...)`) awaits nothing but tasks the
    function cancelled before it (directly, or through `gather`, `wait`, `wait_for`, `shield`).

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


def awaits_only_existing_futures(try_node: cst.Try | cst.TryStar, names: ExceptionNames) -> bool:
    """The `try` only awaits tasks or futures that exist already (`await self._task`).

    Someone else may cancel that task, and then the CancelledError is the child's, not ours:
    making the handler re-raise it would make the caller look cancelled. Too ambiguous to fix.
    """
    points = _guarded_points(try_node, names)
    return bool(points) and all(
        isinstance(point, cst.Await) and isinstance(point.expression, cst.Name | cst.Attribute)
        for point in points
    )
