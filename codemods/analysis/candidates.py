"""A cheap over-approximation, on the stdlib `ast`, of "this file may have a finding".

LibCST's parse and metadata cost ten times more than `ast.parse`. Before paying that, the
engine asks each rule's candidate check; a False answer must mean "certainly no finding".
Names are matched loosely here (no import resolution); the rules resolve them properly.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from codemods.analysis.cleanup import is_cleanup_name
from codemods.analysis.names import CANCELLATION_CLASSES, CANCELLATION_FACTORIES

_CANCELLATION_NAMES = frozenset(
    name.rsplit(".", 1)[-1] for name in CANCELLATION_CLASSES | CANCELLATION_FACTORIES
)
"""`CancelledError`, `Cancelled`, `get_cancelled_exc_class`: last parts, matched loosely."""


def _last_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Call):
        node = node.func
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    return None


def _aliases(tree: ast.Module, names: frozenset[str]) -> frozenset[str]:
    """`names` plus what `from x import Name as Alias` binds them to in this module."""
    found = set(names)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.update(
                alias.asname for alias in node.names if alias.name in names and alias.asname
            )
    return frozenset(found)


def _in_coroutines(tree: ast.Module) -> Iterator[ast.AST]:
    """Each `async def` and the nodes whose own frame it is (not in a nested def, lambda or
    class)."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_coroutine = stack.pop()
        if isinstance(node, ast.AsyncFunctionDef):
            in_coroutine = True
        elif isinstance(node, ast.FunctionDef | ast.Lambda | ast.ClassDef):
            in_coroutine = False
        if in_coroutine:
            yield node
        stack.extend((child, in_coroutine) for child in ast.iter_child_nodes(node))


def _coroutine_tries(tree: ast.Module) -> Iterator[ast.Try | ast.TryStar]:
    """`try` statements in coroutines with a cancellation point inside."""
    for node in _in_coroutines(tree):
        if isinstance(node, ast.Try | ast.TryStar) and _can_be_cancelled(node):
            yield node


def _can_be_cancelled(node: ast.Try | ast.TryStar) -> bool:
    return any(
        isinstance(child, ast.Await | ast.AsyncFor | ast.AsyncWith)
        for statement in node.body
        for child in ast.walk(statement)
    )


def _handler_types(handler: ast.ExceptHandler) -> Iterator[ast.expr]:
    pending = [handler.type] if handler.type else []
    while pending:
        expr = pending.pop()
        if isinstance(expr, ast.Tuple):
            pending += expr.elts
        else:
            yield expr


def may_catch_cancellation(tree: ast.Module, target_version: tuple[int, int]) -> bool:
    """Whether some coroutine `try` has a handler that might catch a CancelledError."""
    catch_all = {"BaseException", "Exception"} if target_version < (3, 8) else {"BaseException"}
    names = _aliases(tree, _CANCELLATION_NAMES | catch_all)
    return any(
        handler.type is None or any(_last_name(expr) in names for expr in _handler_types(handler))
        for try_node in _coroutine_tries(tree)
        for handler in try_node.handlers
    )


def _calls_cleanup(node: ast.AST, cleanup_names: frozenset[str]) -> bool:
    return any(
        isinstance(child, ast.Call)
        and (name := _last_name(child.func)) is not None
        and is_cleanup_name(name, cleanup_names, loose=True)
        for child in ast.walk(node)
    )


def may_clean_up_in_handler(tree: ast.Module, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine `try` has a handler that calls a cleanup method."""
    return any(
        _calls_cleanup(handler, cleanup_names)
        for try_node in _coroutine_tries(tree)
        for handler in try_node.handlers
    )


def _acquires(statement: ast.stmt) -> bool:
    """`x = ...` or `[await] x.acquire()`: what may take a resource to clean up later."""
    if isinstance(statement, ast.Assign | ast.AnnAssign):
        return True
    return isinstance(statement, ast.Expr) and _last_name(_awaited(statement.value)) == "acquire"


def _awaited(expr: ast.expr) -> ast.expr:
    return expr.value if isinstance(expr, ast.Await) else expr


def may_skip_cleanup(tree: ast.Module, cleanup_names: frozenset[str]) -> bool:
    """Whether some coroutine block calls a cleanup method as a statement after a statement
    that may acquire what it cleans up."""
    for node in _in_coroutines(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            acquired = False
            for statement in block:
                if (
                    acquired
                    and isinstance(statement, ast.Expr)
                    and isinstance(_awaited(statement.value), ast.Call)
                    and _calls_cleanup(statement, cleanup_names)
                ):
                    return True
                acquired = acquired or _acquires(statement)
    return False
