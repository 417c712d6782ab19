"""What counts as a cleanup call: closing, releasing, rolling back, stopping."""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis.blocks import may_exit_early, statements
from codemods.analysis.scope import mentions, walk_same_frame


def called_name(call: cst.Call) -> str | None:
    """`x.y.close()` -> "close", `cleanup()` -> "cleanup", anything else -> None."""
    func = call.func
    if isinstance(func, cst.Attribute):
        return func.attr.value
    if isinstance(func, cst.Name):
        return func.value
    return None


_FUTURE_FACTORIES = frozenset({"Future", "create_future"})


def creates_future(call: cst.Call) -> bool:
    """`asyncio.Future()`, `loop.create_future()`: a bare future holds nothing to release.
    Cancelling it resolves it for whoever waits on it (a signal, as `set_result`), so it is
    no cleanup that a cancellation skips."""
    return called_name(call) in _FUTURE_FACTORIES


_DELETING_WORDS = frozenset({"unlink", "remove", "rmtree", "rmdir", "delete"})


def deletes(line: cst.BaseStatement) -> bool:
    """A cleanup that destroys data (`os.unlink(path)`): on an error, the original kept it;
    and what it deletes outlives the process that skips it."""
    return any(
        isinstance(node, cst.Call)
        and (name := called_name(node)) is not None
        and not _DELETING_WORDS.isdisjoint(words(name))
        for node in walk_same_frame(line)
    )


_WORD_BOUNDARY = re.compile(r"_+|(?<=[a-z0-9])(?=[A-Z])")

_MODIFIERS = frozenset({"async", "do", "force", "safe", "sync"})
"""Words that qualify a cleanup verb without changing it: `async_stop`, `force_close`."""

RESOURCE_WORDS = frozenset(
    {
        "all",
        "channel",
        "client",
        "conn",
        "connection",
        "connections",
        "consumer",
        "cursor",
        "device",
        "fd",
        "file",
        "handle",
        "listener",
        "lock",
        "peer",
        "pool",
        "proc",
        "process",
        "producer",
        "reader",
        "server",
        "session",
        "sock",
        "socket",
        "stream",
        "streams",
        "subscription",
        "task",
        "tasks",
        "timeout",
        "timer",
        "transport",
        "watch",
        "websocket",
        "writer",
        "ws",
    }
)
"""What a cleanup verb may name as its object: `_close_channel`, `releaseConn`."""


def words(name: str) -> list[str]:
    """`_close_channel` -> close, channel; `releaseConn` -> release, conn."""
    return [word.lower() for word in _WORD_BOUNDARY.split(name) if word]


def is_cleanup_name(name: str, cleanup_names: frozenset[str], *, loose: bool = False) -> bool:
    """Whether calling `name` is cleanup: `close`, `async_stop`, `_close_channel`,
    `releaseConn`, `client_disconnect`; a verb of the vocabulary, alone or with one resource
    word. Not `async_on_close`, `read_until_close`, `stop_cover` or `set_close_callback`,
    which register callbacks or drive devices.

    `loose` accepts any name with a vocabulary word in it: for the judgements where
    mistaking something for cleanup only makes a rule more careful.
    """
    if name in cleanup_names:
        return True
    parts = words(name)
    if loose:
        return any(part in cleanup_names for part in parts)
    parts = [part for part in parts if part not in _MODIFIERS] or parts
    if len(parts) == 1:
        return parts[0] in cleanup_names
    if len(parts) == 2:
        first, second = parts
        return (first in cleanup_names and second in RESOURCE_WORDS) or (
            second in cleanup_names and first in RESOURCE_WORDS
        )
    return False


def is_cleanup_call(call: cst.Call, cleanup_names: frozenset[str], *, loose: bool = False) -> bool:
    name = called_name(call)
    return name is not None and is_cleanup_name(name, cleanup_names, loose=loose)


def contains_cleanup(
    node: cst.CSTNode, cleanup_names: frozenset[str], *, loose: bool = False
) -> bool:
    """Whether `node` calls a cleanup method (awaited or not) in its own frame."""
    return any(
        isinstance(child, cst.Call) and is_cleanup_call(child, cleanup_names, loose=loose)
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


def call_of(expression: cst.BaseExpression | None) -> cst.Call | None:
    """The call an expression makes, awaited or not (`await f()`, `f()`); None for any
    other expression."""
    if isinstance(expression, cst.Await):
        expression = expression.expression
    return expression if isinstance(expression, cst.Call) else None


def _cleanup_calls(statement: cst.BaseStatement, cleanup_names: frozenset[str]) -> list[cst.Call]:
    """The calls of a line made only of cleanup calls (`writer.close(); await
    writer.wait_closed()`); empty for any other statement."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return []
    calls = [
        call_of(small.value) if isinstance(small, cst.Expr) else None for small in statement.body
    ]
    if all(call is not None and is_cleanup_call(call, cleanup_names) for call in calls):
        return [call for call in calls if call is not None]
    return []


def is_cleanup_line(statement: cst.BaseStatement, cleanup_names: frozenset[str]) -> bool:
    return bool(_cleanup_calls(statement, cleanup_names))


def _is_reset(small: cst.BaseSmallStatement) -> bool:
    """`self._conn = None`: dropping the reference to what was just cleaned up."""
    return (
        isinstance(small, cst.Assign)
        and isinstance(small.value, cst.Name)
        and small.value.value == "None"
    )


def is_cleanup_or_reset_line(
    statement: cst.BaseStatement,
    cleanup_names: frozenset[str],
    previous: Sequence[cst.BaseStatement] = (),
) -> bool:
    """A cleanup line; `x = None` dropping a reference; or, after a line that cleans `proc`
    up (`previous`), `await proc.wait()` waiting for that cleanup to finish."""
    if is_cleanup_line(statement, cleanup_names):
        return True
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    if all(map(_is_reset, statement.body)):
        return True
    cleaned = set().union(*(cleaned_resources(line, cleanup_names) for line in previous))
    return len(statement.body) == 1 and _waits_for(statement.body[0], cleaned)


def _waits_for(small: cst.BaseSmallStatement, resources: set[str]) -> bool:
    call = call_of(small.value) if isinstance(small, cst.Expr) else None
    return (
        call is not None
        and isinstance(call.func, cst.Attribute)
        and call.func.attr.value == "wait"
        and get_full_name_for_node(call.func.value) in resources
    )


def cleaned_resources(statement: cst.BaseStatement, cleanup_names: frozenset[str]) -> set[str]:
    """What a cleanup line cleans up: the receiver of `conn.close()`, the argument of
    `await pool.release(conn)` or `os.unlink(path)`, as names or attribute chains."""
    found: set[str] = set()
    for call in _cleanup_calls(statement, cleanup_names):
        if isinstance(call.func, cst.Attribute):
            found.add(get_full_name_for_node(call.func.value) or "")
        found.update(get_full_name_for_node(arg.value) or "" for arg in call.args)
    found.discard("")
    return found


def cleans_up(node: cst.CSTNode, resource: str, cleanup_names: frozenset[str]) -> bool:
    """Whether `node` calls a cleanup on `resource` anywhere in its own frame (named loosely:
    the callers hold back when it does)."""
    return any(
        isinstance(child, cst.Call)
        and is_cleanup_call(child, cleanup_names, loose=True)
        and (
            (isinstance(child.func, cst.Attribute) and mentions(child.func.value, {resource}))
            or any(get_full_name_for_node(arg.value) == resource for arg in child.args)
        )
        for child in walk_same_frame(node)
    )


def always_cleans_up(body: Sequence[cst.BaseStatement], cleanup_names: frozenset[str]) -> bool:
    """Whether every path through `body` makes a cleanup call before control can leave it.

    A cleanup wrapped in `try`, `with` or a loop counts as made; an `if` counts when each of
    its branches makes one. Anything that may raise, return or jump first does not.
    """
    for statement in body:
        if _cleans_on_entry(statement, cleanup_names):
            return True
        if may_exit_early(statement):
            return False
    return False


def _cleans_on_entry(statement: cst.BaseStatement, cleanup_names: frozenset[str]) -> bool:
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            if contains_cleanup(small, cleanup_names):
                return True
            if may_exit_early(small):
                return False
        return False
    if isinstance(statement, cst.If):
        return always_cleans_up(statements(statement.body), cleanup_names) and _else_cleans(
            statement.orelse, cleanup_names
        )
    if isinstance(statement, cst.Try | cst.With):
        return always_cleans_up(statements(statement.body), cleanup_names)
    if isinstance(statement, cst.For | cst.While):
        return contains_cleanup(statement.body, cleanup_names) and not may_exit_early(statement)
    return False


def _else_cleans(orelse: cst.If | cst.Else | None, cleanup_names: frozenset[str]) -> bool:
    if orelse is None:
        return False
    if isinstance(orelse, cst.If):
        return _cleans_on_entry(orelse, cleanup_names)
    return always_cleans_up(statements(orelse.body), cleanup_names)
