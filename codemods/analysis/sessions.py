"""Clients that a function builds on a session it was given, whose `close()` owns nothing.

A client handed an HTTP session (`Api(host, session=session)`, `Api(host,
get_shared_session(app))`, `await api.login(user, client_session=session)`) does not own it:
across the aiohttp ecosystem its `close()` closes only a session it created itself (`if
self._close_session: await self._session.close()`), and it created none. Closing such a
client releases nothing, so a cancellation that skips the close leaks nothing; the session
belongs to whoever made it and lives on.

The client owns something again once the function opens it (`await api.connect()`, `open`,
`start`, `subscribe`...: a websocket, a listener, a background task on that session): its
`close()` or `disconnect()` then ends what the client holds. Logging in (`login`,
`authenticate`) is a request on the session and holds nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from codemods.analysis.cleanup import called_name, words
from codemods.analysis.scope import assigned_targets, dotted_name, walk_same_frame
from codemods.analysis.setup import is_setup_name

_NOT_HOLDING = frozenset({"login", "authenticate", "auth"})
"""Setup words that only make requests on the session: nothing stays open."""


def borrowed_session_clients(function: cst.FunctionDef) -> frozenset[str]:
    """The names and attribute chains `function` binds, once, to a call that builds a client
    on a session the function did not create, handed to that call or to a method of the
    client (`client = Api(url, session=session)`), when nothing in the function opens the
    client (`await client.connect()`)."""
    bindings = _bindings(function)
    calls = [node for node in walk_same_frame(function.body) if isinstance(node, cst.Call)]
    found: set[str] = set()
    for name, values in bindings.items():
        if len(values) != 1 or not isinstance(built := _unawaited(values[0]), cst.Call):
            continue
        if _names_a_session(built):
            continue  # `http.create_session(session)`: a session (manager) of its own
        methods = [call for call in calls if _receiver(call) == name]
        if any(_opens(call) for call in methods):
            continue
        arguments = _args(built, methods)
        if any(_is_borrowed_session_argument(arg, function, bindings) for arg in arguments):
            found.add(name)
    return frozenset(found)


def releases_nothing(line: cst.BaseStatement, borrowed: frozenset[str]) -> bool:
    """Whether `line` only closes clients of `borrowed` (`await client.close()`,
    `await client.async_client_close()`). Not `await client.close_session()` or
    `await client.disconnect()`, which end something else (a login session on the device,
    a connection) that the client may hold."""
    if not isinstance(line, cst.SimpleStatementLine):
        return False
    return all(
        isinstance(small, cst.Expr)
        and isinstance(call := _unawaited(small.value), cst.Call)
        and _receiver(call) in borrowed
        and _closes_itself(called_name(call) or "")
        for small in line.body
    )


_CLOSING = frozenset({"close", "aclose"})
_QUALIFIERS = frozenset({"async", "client"})


def _closes_itself(name: str) -> bool:
    """`close`, `aclose`, `async_close`, `async_client_close`: the client's own close."""
    parts = [part for part in words(name) if part not in _QUALIFIERS]
    return len(parts) == 1 and parts[0] in _CLOSING


def _bindings(function: cst.FunctionDef) -> dict[str, list[cst.BaseExpression]]:
    """Each name or attribute chain the function assigns, with the values assigned to it
    (an augmented assignment or a `for` target counts as a value of its own: unknown)."""
    found: dict[str, list[cst.BaseExpression]] = {}
    for node in walk_same_frame(function.body):
        if isinstance(node, cst.Assign | cst.AnnAssign | cst.AugAssign) and node.value is not None:
            value = node.value if not isinstance(node, cst.AugAssign) else cst.Name("None")
            for target in assigned_targets(node):
                if (chain := dotted_name(target)) is not None:
                    found.setdefault(chain, []).append(value)
        elif isinstance(node, cst.For | cst.With | cst.NamedExpr):
            for target in _other_targets(node):
                if (chain := dotted_name(target)) is not None:
                    found.setdefault(chain, []).append(cst.Name("None"))
    return found


def _other_targets(node: cst.For | cst.With | cst.NamedExpr) -> Iterator[cst.BaseExpression]:
    if isinstance(node, cst.For | cst.NamedExpr):
        yield node.target
    else:
        yield from (item.asname.name for item in node.items if item.asname is not None)


def _args(built: cst.Call, methods: list[cst.Call]) -> Iterator[cst.Arg]:
    yield from built.args
    for call in methods:
        yield from (arg for arg in call.args if arg.keyword is not None)


def _is_borrowed_session_argument(
    arg: cst.Arg, function: cst.FunctionDef, bindings: dict[str, list[cst.BaseExpression]]
) -> bool:
    """`session=session`, `websession=self._session` (a keyword ending in "session"), or a
    positional `get_shared_session(app)` or `session` (an expression named so), whose value
    the function did not create (see `_is_borrowed`)."""
    if arg.star:
        return False
    if arg.keyword is not None:
        named = arg.keyword.value.lower().endswith("session")
    else:
        named = _names_a_session(arg.value)
    return named and _is_borrowed(arg.value, function, bindings)


def _names_a_session(value: cst.BaseExpression) -> bool:
    spelled = called_name(value) if isinstance(value, cst.Call) else dotted_name(value)
    parts = words(spelled or "")
    return bool(parts) and parts[-1].endswith("session")


def _is_borrowed(
    value: cst.BaseExpression,
    function: cst.FunctionDef,
    bindings: dict[str, list[cst.BaseExpression]],
    *,
    local: bool = True,
) -> bool:
    """A session the function did not create: a parameter (see `_parameters`), an
    attribute of a longer-lived object that the function does not bind (`self._session`,
    `hass.http_session`), a getter of a shared session (`async_get_clientsession(hass)`,
    `get_session()`: a call with "get" in its name, never a constructor such as
    `ClientSession()`), or a local the function binds once to one of these (`local`: a
    local may still be followed)."""
    if isinstance(value, cst.Call):
        name = called_name(value) or ""
        return "get" in words(name) and name.lower().endswith("session")
    chain = dotted_name(value)
    if chain is None:
        return False
    if chain in bindings:
        values = bindings[chain]
        return (
            local and len(values) == 1 and _is_borrowed(values[0], function, bindings, local=False)
        )
    return "." in chain or chain in _parameters(function)


def _parameters(function: cst.FunctionDef) -> set[str]:
    """The parameters that always hold what the caller passed: not one defaulting to None
    (`session=None`), with which the client may create a session of its own."""
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    return {
        param.name.value
        for param in every
        if not (isinstance(param.default, cst.Name) and param.default.value == "None")
    }


def _opens(call: cst.Call) -> bool:
    """`client.connect()`, `client.start_listening()`: a call that makes the client hold
    something of its own on the session."""
    name = called_name(call) or ""
    return is_setup_name(name) and _NOT_HOLDING.isdisjoint(words(name))


def _receiver(call: cst.Call) -> str | None:
    func = call.func
    return dotted_name(func.value) if isinstance(func, cst.Attribute) else None


def _unawaited(value: cst.BaseExpression) -> cst.BaseExpression:
    return value.expression if isinstance(value, cst.Await) else value
