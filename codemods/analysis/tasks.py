"""Cancelled tasks: telling the CancelledError of a child the function stopped from its own.

`task.cancel()` then `await task` raises the child's CancelledError in the caller. A handler
around such an await swallows the child's cancellation, not the caller's: the CF1 rules leave
it to the rule for that idiom.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import libcst as cst

from codemods.analysis.names import ExceptionNames
from codemods.analysis.scope import (
    assigned_targets,
    children,
    dotted_name,
    is_cancellation_point,
    method_receiver,
    walk_same_frame,
)

_WAITERS = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.wait_for", "asyncio.shield"})
"""Awaiting these on cancelled tasks raises those tasks' CancelledError, not ours."""


class CancelledTasks:
    """What a function cancelled before a point: tasks, and collections cancelled in a loop
    (whose loop variables, in a later loop over the same collection, are cancelled tasks).
    A literal tuple or list cancelled in a loop (`for t in (self._reader, self._writer):
    t.cancel()`, directly or through a name bound to it) cancels each of its tasks."""

    def __init__(self, names: ExceptionNames) -> None:
        self.names = names
        self.tasks: list[cst.BaseExpression] = []
        self.collections: list[cst.BaseExpression] = []
        self.literals: list[tuple[cst.BaseExpression, list[cst.Element | cst.StarredElement]]]
        self.literals = []
        """Names bound to a literal tuple or list (`tasks = [self._a, self._b]`), with its
        elements."""
        self.settled: list[cst.BaseExpression] = []
        """Tasks and collections awaited to their end since (`asyncio.wait(tasks)`,
        `gather(*tasks, return_exceptions=True)`): an `await` of one no longer suspends."""

    def note(self, node: cst.CSTNode) -> None:
        target = method_receiver(node, "cancel")
        if target is not None:
            self.tasks.append(target)
        # (By type: every node of a function is noted, and neither class has subclasses.)
        if type(node) is cst.For and isinstance(node.target, cst.Name):
            loop_variable = node.target
            self._forget(loop_variable)
            if self._is_collection(node.iter):
                self.tasks.append(loop_variable)
                if self.is_settled(node.iter):
                    self.settled.append(loop_variable)
            elif any(
                isinstance(task, cst.Name) and task.value == loop_variable.value
                for task in (method_receiver(n, "cancel") for n in walk_same_frame(node.body))
            ):
                self.collections.append(node.iter)
                self.tasks += self._elements(node.iter)
        for assigned in assigned_targets(node):
            self._forget(assigned)
        literal = _bound_literal(node)
        if literal is not None:
            self.literals.append(literal)
        if type(node) is cst.Await:
            self.settled += self._waited_to_the_end(node.expression)

    def _forget(self, assigned: cst.BaseExpression) -> None:
        # A name bound anew (`self._task = create_task(...)`) is no longer the cancelled task;
        # nor is `self._tasks[name]` once `self._tasks` or `name` is bound anew.
        if isinstance(assigned, cst.Tuple | cst.List):
            for element in assigned.elements:
                self._forget(element.value)
            return
        self.tasks = [task for task in self.tasks if not _depends_on(task, assigned)]
        self.collections = [c for c in self.collections if not _same(c, assigned)]
        self.settled = [s for s in self.settled if not _depends_on(s, assigned)]
        self.literals = [
            (name, elements)
            for name, elements in self.literals
            if not _same(name, assigned)
            and not any(_depends_on(element.value, assigned) for element in elements)
        ]

    def is_task(self, expr: cst.BaseExpression) -> bool:
        return any(_same(expr, task) for task in self.tasks)

    def is_settled(self, expr: cst.BaseExpression) -> bool:
        """Whether a task or collection was awaited to its end since it was cancelled."""
        return any(_same(expr, settled) for settled in self.settled)

    def _elements(self, expr: cst.BaseExpression) -> list[cst.BaseExpression]:
        """The task references of a literal tuple or list, or of the one a name is bound to."""
        elements = expr.elements if isinstance(expr, cst.List | cst.Tuple) else self._bound(expr)
        return [
            e.value for e in elements if isinstance(e, cst.Element) and is_task_reference(e.value)
        ]

    def _bound(self, expr: cst.BaseExpression) -> Sequence[cst.Element | cst.StarredElement]:
        bound = [elements for name, elements in self.literals if _same(expr, name)]
        return bound[-1] if bound else []

    def _is_collection(self, expr: cst.BaseExpression) -> bool:
        if (
            isinstance(expr, cst.List | cst.Tuple | cst.Set)
            and expr.elements
            and all(self.is_task(element.value) for element in expr.elements)
        ):
            return True
        bound = self._bound(expr)
        if bound and all(  # `tasks = (a, b, *others)` after `a.cancel()`, `b.cancel()`...
            self._is_collection(e.value)
            if isinstance(e, cst.StarredElement)
            else self.is_task(e.value)
            for e in bound
        ):
            return True
        return any(_same(expr, collection) for collection in self.collections)

    def _waited_to_the_end(self, expr: cst.BaseExpression) -> list[cst.BaseExpression]:
        """What `await expr` waits for until it is done: the argument of `asyncio.wait(x)`
        without a timeout or `return_when`, the arguments of `gather(...,
        return_exceptions=True)` (each starred one a collection)."""
        if not isinstance(expr, cst.Call):
            return []
        function = self.names.names_of(expr.func)
        keywords = {arg.keyword.value: arg.value for arg in expr.args if arg.keyword is not None}
        positional = [arg.value for arg in expr.args if arg.keyword is None]
        if "asyncio.wait" in function and not keywords and len(positional) == 1:
            waited = positional[0]
            return [*self._elements(waited), waited]
        returns = keywords.get("return_exceptions")
        if (
            "asyncio.gather" in function
            and isinstance(returns, cst.Name)
            and returns.value == "True"
        ):
            return positional
        return []

    def _cancelled_awaited(self, expr: cst.BaseExpression) -> list[bool]:
        """For each task `await expr` waits on, whether the function cancelled it: `await t`;
        each argument of `gather(...)` (a collection unpacked with `*` counts as one); the
        first argument of `wait_for`, `shield` or `wait`. Empty for anything else."""
        if self.is_task(expr):
            return [True]
        if not isinstance(expr, cst.Call):
            return []
        function = self.names.names_of(expr.func)
        if not function & _WAITERS:
            return []
        positional = [arg for arg in expr.args if arg.keyword is None]
        if "asyncio.gather" in function:
            return [
                self._is_collection(arg.value) if arg.star else self.is_task(arg.value)
                for arg in positional
            ]
        return [self.is_task(arg.value) or self._is_collection(arg.value) for arg in positional[:1]]

    def may_raise_their_cancellation(self, expr: cst.BaseExpression) -> bool:
        """Whether `await expr` may raise the CancelledError of a task the function cancelled:
        `await t`, `await asyncio.gather(t, other())`, `await asyncio.wait_for(t, 5)`..."""
        return any(self._cancelled_awaited(expr))

    def awaits_only_cancelled(self, expr: cst.BaseExpression) -> bool:
        """Whether every task `await expr` waits on is one the function cancelled."""
        cancelled = self._cancelled_awaited(expr)
        return bool(cancelled) and all(cancelled)


def _same(expr: cst.BaseExpression, other: cst.BaseExpression) -> bool:
    """The same expression, however it is spaced or parenthesised (for task references such
    as `self._task` and `self._tasks[name]`)."""
    key = reference_key(expr)
    return key == reference_key(other) if key is not None else expr.deep_equals(other)


def reference_key(expr: cst.BaseExpression) -> str | None:
    """How a task reference is spelled, without spacing: a name or attribute chain
    (`self._task`), or one subscripted by a name, attribute chain or literal
    (`self._tasks[name]`, `workers[0]`); None for anything else (`tasks[next(ids)]`)."""
    name = dotted_name(expr)
    if name is not None or not isinstance(expr, cst.Subscript) or len(expr.slice) != 1:
        return name
    base, index = dotted_name(expr.value), expr.slice[0].slice
    if base is None or not isinstance(index, cst.Index) or index.star is not None:
        return None
    key = dotted_name(index.value)
    if key is None and isinstance(index.value, cst.SimpleString | cst.Integer):
        key = index.value.value
    return f"{base}[{key}]" if key is not None else None


def is_task_reference(expr: cst.BaseExpression) -> bool:
    """A name, an attribute chain, or one subscripted by a name or literal: what a cancelled
    task is followed by, from its `cancel()` to its `await`."""
    return reference_key(expr) is not None


def _depends_on(task: cst.BaseExpression, assigned: cst.BaseExpression) -> bool:
    """Whether binding `assigned` may change what `task` refers to: the same reference, or
    the collection or key of a subscript (`self._tasks`, `name` for `self._tasks[name]`)."""
    if _same(task, assigned):
        return True
    if not isinstance(task, cst.Subscript):
        return False
    index = task.slice[0].slice if len(task.slice) == 1 else None
    parts = [task.value, *([index.value] if isinstance(index, cst.Index) else [])]
    return any(_same(part, assigned) for part in parts)


def _bound_literal(
    node: cst.CSTNode,
) -> tuple[cst.BaseExpression, list[cst.Element | cst.StarredElement]] | None:
    """`tasks = [self._reader, self._writer]` (or a tuple): the name and its elements."""
    if not (type(node) is cst.Assign or type(node) is cst.AnnAssign):  # (by type, as in `note`)
        return None
    if len(assigned_targets(node)) != 1:
        return None
    target, value = assigned_targets(node)[0], node.value
    if dotted_name(target) is None or not isinstance(value, cst.List | cst.Tuple):
        return None
    return target, [e for e in value.elements if isinstance(e, cst.Element | cst.StarredElement)]


def waited_task(expr: cst.BaseExpression, names: ExceptionNames) -> cst.BaseExpression | None:
    """The task reference `await expr` waits on alone: `task` itself, or the first argument
    of `asyncio.wait_for(task, timeout)`; None for anything else."""
    if is_task_reference(expr):
        return expr
    if not isinstance(expr, cst.Call) or "asyncio.wait_for" not in names.names_of(expr.func):
        return None
    first = next((arg.value for arg in expr.args if arg.keyword is None and not arg.star), None)
    return first if first is not None and is_task_reference(first) else None


def cancelled_before(
    node: cst.CSTNode, function: cst.FunctionDef, names: ExceptionNames
) -> CancelledTasks:
    """What `function` cancelled before `node` (in source order, in its own frame), on a
    path that may reach `node`: a `cancel()` followed by a `raise` or `return` of its own
    block (`except BaseException: fut.cancel(); raise`) never reaches code after that block."""
    cancelled = CancelledTasks(names)
    parents = _parents(function)
    around_node = _ancestors(node, parents)
    for child in walk_same_frame(function.body):
        if child is node:
            break
        if method_receiver(child, "cancel") is not None and _leaves_first(
            child, around_node, parents
        ):
            continue
        cancelled.note(child)
    return cancelled


@functools.lru_cache(maxsize=4)  # asked for each node a rule weighs in the function
def _parents(function: cst.FunctionDef) -> dict[int, cst.CSTNode]:
    """Each node's parent (by node identity) in the function's own frame (the function, held
    by the cache, keeps the nodes and so their identities)."""
    parents: dict[int, cst.CSTNode] = {}
    for parent in walk_same_frame(function.body):
        for child in children(parent):
            parents[id(child)] = parent
    return parents


def _ancestors(node: cst.CSTNode, parents: dict[int, cst.CSTNode]) -> set[int]:
    found = set()
    current: cst.CSTNode | None = node
    while current is not None:
        found.add(id(current))
        current = parents.get(id(current))
    return found


def _leaves(statement: cst.CSTNode) -> bool:
    """A `raise` or `return`, or a simple line holding one."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(map(_leaves, statement.body))
    return isinstance(statement, cst.Raise | cst.Return)


def _leaves_first(
    call: cst.CSTNode, around_node: set[int], parents: dict[int, cst.CSTNode]
) -> bool:
    """Whether control certainly leaves by a `raise` or `return` after `call`, in a block
    that does not hold the node (whose ancestors are `around_node`)."""
    child = call
    while (parent := parents.get(id(child))) is not None and id(parent) not in around_node:
        if isinstance(parent, cst.IndentedBlock | cst.SimpleStatementLine):
            items: list[cst.CSTNode] = list(parent.body)
            index = next((i for i, item in enumerate(items) if item is child), len(items))
            if any(map(_leaves, items[index + 1 :])):
                return True
        child = parent
    return False


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


def _points_raising_their_cancellation(
    guarded: Guarded, function: cst.FunctionDef, names: ExceptionNames
) -> list[bool]:
    """For each cancellation point of the guarded body, whether it may raise the
    CancelledError of a task the function cancelled before (directly, or through `gather`,
    `wait`, `wait_for`, `shield`)."""
    cancelled = cancelled_before(guarded, function, names)
    return [
        isinstance(point, cst.Await) and cancelled.may_raise_their_cancellation(point.expression)
        for point in _guarded_points(guarded, names)
    ]


def awaits_cancelled_task(
    guarded: Guarded, function: cst.FunctionDef, names: ExceptionNames
) -> bool:
    """The CF301 idiom: an `await` of the `try` (or `with suppress(...)`) waits on a task the
    function cancelled before it. There the CancelledError may be the child's: making the
    handler re-raise it would make the caller look cancelled, even when nothing cancelled
    the caller. The rules for the idiom (CF301, CF302) handle it."""
    return any(_points_raising_their_cancellation(guarded, function, names))


def awaits_only_cancelled_tasks(
    guarded: Guarded, function: cst.FunctionDef, names: ExceptionNames
) -> bool:
    """Every `await` of the `try` or `with` waits on tasks the function cancelled before."""
    raising = _points_raising_their_cancellation(guarded, function, names)
    return bool(raising) and all(raising)


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


def awaited_cancelled_tasks(
    guarded: Guarded, function: cst.FunctionDef, names: ExceptionNames
) -> list[cst.Await]:
    """The guarded body's `await task` (or `await asyncio.wait_for(task, n)`) of task
    references the function cancelled before."""
    cancelled = cancelled_before(guarded, function, names)
    return [
        point
        for point in _guarded_points(guarded, names)
        if isinstance(point, cst.Await)
        and (task := waited_task(point.expression, names)) is not None
        and cancelled.is_task(task)
        # Awaited to its end already: no cancellation of the caller can arrive here.
        and not cancelled.is_settled(task)
    ]
