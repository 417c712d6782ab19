"""What counts as a cleanup call: closing, releasing, rolling back, stopping."""

from __future__ import annotations

import re

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


_WORD_BOUNDARY = re.compile(r"_+|(?<=[a-z0-9])(?=[A-Z])")


def is_cleanup_call(call: cst.Call, cleanup_names: frozenset[str]) -> bool:
    """A call named like cleanup: `close()`, and `_close_channel()` or `releaseConn()` too.

    A name counts when it is in the vocabulary or one of its words (split at underscores and
    case changes) is.
    """
    name = called_name(call)
    if name is None:
        return False
    return name in cleanup_names or any(
        word.lower() in cleanup_names for word in _WORD_BOUNDARY.split(name) if word
    )


def contains_cleanup(node: cst.CSTNode, cleanup_names: frozenset[str]) -> bool:
    """Whether `node` calls a cleanup method (awaited or not) in its own frame."""
    return any(
        isinstance(child, cst.Call) and is_cleanup_call(child, cleanup_names)
        for child in walk_same_frame(node)
    )


_LOGGING_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)


def is_logging_call(expression: cst.BaseExpression) -> bool:
    """`log.info(...)`, `logger.exception(...)`, `logging.warning(...)`, `print(...)`."""
    if not isinstance(expression, cst.Call):
        return False
    func = expression.func
    if isinstance(func, cst.Attribute):
        return func.attr.value in _LOGGING_METHODS
    return isinstance(func, cst.Name) and func.value == "print"
