"""Coroutine scope: which code runs in an `async def`, where it can be cancelled, and which
names a piece of it reads or binds."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node

_NEW_FRAME = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def walk_same_frame(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and its descendants, not entering nested functions, lambdas or classes (a
    nested `def` statement itself is yielded: defining it happens in this frame)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, _NEW_FRAME):
            stack.extend(reversed(current.children))


def enclosing_coroutine(ancestors: Sequence[cst.CSTNode]) -> cst.FunctionDef | None:
    """The `async def` whose own body holds the node with these ancestors (nearest first)."""
    for ancestor in ancestors:
        if isinstance(ancestor, cst.FunctionDef):
            return ancestor if ancestor.asynchronous is not None else None
        if isinstance(ancestor, cst.Lambda | cst.ClassDef):
            return None
    return None


def is_cancellation_point(node: cst.CSTNode) -> bool:
    """`await`, `async for` and `async with`: where a CancelledError can be delivered."""
    if isinstance(node, cst.Await):
        return True
    if isinstance(node, cst.For | cst.With):
        return node.asynchronous is not None
    if isinstance(node, cst.CompFor):
        return node.asynchronous is not None
    return False


def has_cancellation_point(node: cst.CSTNode) -> bool:
    return any(is_cancellation_point(child) for child in walk_same_frame(node))


def has_call(node: cst.CSTNode) -> bool:
    """Whether evaluating `node` calls or awaits anything (in its own frame)."""
    return any(isinstance(child, cst.Call | cst.Await) for child in walk_same_frame(node))


def mentions(node: cst.CSTNode, names: set[str]) -> bool:
    """Whether `node` refers to one of `names` (`conn`, `self._task`) in its own frame."""
    return any(
        isinstance(child, cst.Name | cst.Attribute) and get_full_name_for_node(child) in names
        for child in walk_same_frame(node)
    )


def assigned_targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    """What an assignment statement (`=`, `+=`, annotated) binds; nothing for other nodes."""
    if isinstance(node, cst.Assign):
        return [target.target for target in node.targets]
    if isinstance(node, cst.AnnAssign | cst.AugAssign):
        return [node.target]
    return []


def dotted_name(expr: cst.BaseExpression) -> str | None:
    """`task` -> "task", `self._task` -> "self._task"; None for anything else."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute) and (base := dotted_name(expr.value)) is not None:
        return f"{base}.{expr.attr.value}"
    return None


def method_receiver(node: cst.CSTNode, method: str) -> cst.BaseExpression | None:
    """`x.y.cancel()` with method "cancel" -> `x.y`; None for anything else."""
    if (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value == method
    ):
        return node.func.value
    return None


def spelled_names(node: cst.CSTNode) -> set[str]:
    """Every name spelled anywhere in `node` (not as an attribute: `self.task` spells `self`),
    nested functions and classes included: what a new name must differ from to be bound by
    no one (match captures, a walrus in a comprehension and star imports escape scope
    analysis)."""
    attributes = {id(child.attr) for child in walk(node) if isinstance(child, cst.Attribute)}
    return {
        child.value
        for child in walk(node)
        if isinstance(child, cst.Name) and id(child) not in attributes
    }


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and all its descendants, nested functions and classes included."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)
