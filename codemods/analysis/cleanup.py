"""What counts as a cleanup call: closing, releasing, rolling back, stopping."""

from __future__ import annotations

import libcst as cst

from codemods.analysis.scope import walk_same_frame

DEFAULT_CLEANUP_NAMES: frozenset[str] = frozenset(
    {
        "close",
        "aclose",
        "wait_closed",
        "disconnect",
        "release",
        "shutdown",
        "stop",
        "terminate",
        "kill",
        "cancel",
        "unlink",
        "rollback",
        "unsubscribe",
        "cleanup",
        "__aexit__",
        "__exit__",
    }
)


def called_name(call: cst.Call) -> str | None:
    """`x.y.close()` -> "close", `cleanup()` -> "cleanup", anything else -> None."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


def is_cleanup_call(call: cst.Call, cleanup_names: frozenset[str]) -> bool:
    return called_name(call) in cleanup_names


def contains_cleanup(node: cst.CSTNode, cleanup_names: frozenset[str]) -> bool:
    """Whether `node` calls a cleanup method (awaited or not) in its own frame."""
    return any(
        isinstance(child, cst.Call) and is_cleanup_call(child, cleanup_names)
        for child in walk_same_frame(node)
    )
