"""Coroutine scope: which code runs in an `async def`, where it can be cancelled, and which
names a piece of it reads or binds."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import cast

import libcst as cst
from libcst.helpers import get_full_name_for_node

_NEW_FRAME = (cst.FunctionDef, cst.Lambda, cst.ClassDef)
_NEW_FRAME_TYPES = frozenset(_NEW_FRAME)
"""The same, compared by type: the walks below test every node, node classes are ABCs
(`isinstance` against them is slow), and these three have no subclasses."""
_CALLS = frozenset((cst.Call, cst.Await))
_SEQUENCE = (tuple, list)
_DEFAULT = cst.MaybeSentinel.DEFAULT


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`node.children`, the child nodes in source order, read from the node's fields: LibCST's
    property rebuilds the node to collect them, which costs more than the analyses that
    walk the tree."""
    fields = _CHILD_FIELDS.get(type(node))
    if fields is None:
        fields = _CHILD_FIELDS[type(node)] = _ChildFields.learn(node)
    for name in fields.unseen:  # (a loop, not `any`: asked of every node of every walk)
        value = getattr(node, name)
        if value is not None and _holds_nodes(value):
            fields = _CHILD_FIELDS[type(node)] = _ChildFields.learn(node)
            break
    found: list[cst.CSTNode] = []
    for name in fields.visited:
        value = getattr(node, name)
        if isinstance(value, _SEQUENCE):
            found.extend(value)
        elif value is not None and value is not _DEFAULT:
            found.append(value)
    return found


@dataclass(frozen=True)
class _ChildFields:
    """The fields of a node type that hold child nodes, in the order LibCST visits them (the
    source order), learnt from a node of that type."""

    visited: tuple[str, ...]
    unseen: tuple[str, ...]
    """Fields that were None and not visited: LibCST visits some only when they are set
    (an f-string expression's format spec), so a node with one set teaches the type again."""

    @classmethod
    def learn(cls, node: cst.CSTNode) -> _ChildFields:
        recorder = _FieldRecorder()
        node._visit_and_replace_children(recorder)
        visited = tuple(dict.fromkeys(recorder.fields))
        unseen = tuple(
            field.name
            for field in dataclasses.fields(node)
            if field.name not in visited and getattr(node, field.name) is None
        )
        return cls(visited, unseen)


_CHILD_FIELDS: dict[type[cst.CSTNode], _ChildFields] = {}


def _holds_nodes(value: object) -> bool:
    return bool(value) if isinstance(value, tuple | list) else isinstance(value, cst.CSTNode)


class _FieldRecorder(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)


def walk_same_frame(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and its descendants, not entering nested functions, lambdas or classes (a
    nested `def` statement itself is yielded: defining it happens in this frame)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if type(current) not in _NEW_FRAME_TYPES:
            stack.extend(reversed(children(current)))


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
    kind = type(node)  # (by type: asked of every node of a walk; none has subclasses)
    if kind is cst.Await:
        return True
    if kind is cst.For or kind is cst.With or kind is cst.CompFor:
        return cast("cst.For | cst.With | cst.CompFor", node).asynchronous is not None
    return False


@functools.lru_cache(maxsize=4096)
def has_cancellation_point(node: cst.CSTNode) -> bool:
    """(Remembered: rules ask it of each statement of each block, and again of the blocks
    around them; nodes hash by identity, and a changed tree is made of new nodes.)"""
    return any(is_cancellation_point(child) for child in walk_same_frame(node))


def has_call(node: cst.CSTNode) -> bool:
    """Whether evaluating `node` calls or awaits anything (in its own frame)."""
    return any(type(child) in _CALLS for child in walk_same_frame(node))


def mentions(node: cst.CSTNode, names: set[str]) -> bool:
    """Whether `node` refers to one of `names` (`conn`, `self._task`) in its own frame."""
    return any(
        type(child) in _NAME_OR_ATTRIBUTE and get_full_name_for_node(child) in names
        for child in walk_same_frame(node)
    )


_NAME_OR_ATTRIBUTE = frozenset((cst.Name, cst.Attribute))  # (by type, as `_NEW_FRAME_TYPES`)


def assigned_targets(node: cst.CSTNode) -> list[cst.BaseExpression]:
    """What an assignment statement (`=`, `+=`, annotated) binds; nothing for other nodes."""
    kind = type(node)  # (by type: asked of every node of a walk; none has subclasses)
    if kind is cst.Assign:
        return [target.target for target in cast(cst.Assign, node).targets]
    if kind is cst.AnnAssign or kind is cst.AugAssign:
        return [cast("cst.AnnAssign | cst.AugAssign", node).target]
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
    if (  # (by type: asked of every node of a walk; neither class has subclasses)
        type(node) is cst.Call
        and type(node.func) is cst.Attribute
        and node.func.attr.value == method
    ):
        return node.func.value
    return None


@functools.lru_cache(maxsize=4)  # asked for each fresh name, some of them of the module
def spelled_names(node: cst.CSTNode) -> frozenset[str]:
    """Every name spelled anywhere in `node` (not as an attribute: `self.task` spells `self`),
    nested functions and classes included: what a new name must differ from to be bound by
    no one (match captures, a walrus in a comprehension and star imports escape scope
    analysis)."""
    attributes: set[int] = set()
    names: set[str] = set()
    for child in walk(node):  # (an attribute before its name)
        if isinstance(child, cst.Attribute):
            attributes.add(id(child.attr))
        elif isinstance(child, cst.Name) and id(child) not in attributes:
            names.add(child.value)
    return frozenset(names)


def walk(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and all its descendants, nested functions and classes included."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(children(current))


_BLOCKS = ("body", "orelse", "handlers", "finalbody", "cases")
"""The attributes that hold the statements (and clauses) of compound statements."""


def walk_statements(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`root` and the statements, small statements and clauses under it, nested ones
    included, not the expressions. (Reading the attributes that hold them is many times
    faster than LibCST's generic `children`.)"""
    pending: list[cst.CSTNode] = [root]
    while pending:
        node = pending.pop()
        yield node
        for field in _BLOCKS:
            block = getattr(node, field, None)
            if block is None:
                continue  # (most fields: asked first, as `isinstance` against ABCs is slow)
            if isinstance(block, _SEQUENCE):
                pending.extend(block)
            elif isinstance(block, cst.CSTNode):
                pending.append(block)
