"""Clients that a function builds on a session it was given, whose `close()` owns nothing.

A client object built by a plain call of its class (`Api(host, session=session)`,
`mod.Api(host, get_shared_session(app))`, `Api()` then `await api.login(user,
client_session=session)`) on an HTTP session it is handed does not own that session: across
the aiohttp ecosystem its `close()` closes only a session it created itself (`if
self._close_session: await self._session.close()`), and it created none. Closing such a
client releases nothing, so a cancellation that skips the close leaks nothing; the session
belongs to whoever made it and lives on.

Anything else may hold a connection and keeps its findings: an awaited build (`await
ws_connect(url, session=session)`, `await Api.connect(...)`, `await request(...)`: a
websocket, a response, a stream), a call of a function or a classmethod, a class named for
what it holds (`TickerStream`, `Connection`). So does a client the function uses in any way
but awaiting a request method or closing it: a method that opens, starts or serves (`await
api.connect()`, `listen`, `run`, `watch`, `stream`, `async_setup`...; logging in,
`login`/`authenticate`, is a request and holds nothing), a method call not awaited at once
(`create_task(api.run())`, `async for event in api.events()`), or the client handed to a call
(`async with api`, `Listener(api)`). Only a parameter with no default and no `None` in its
annotation is a session the caller surely passed.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import cast

import libcst as cst

from codemods.analysis.cleanup import call_of, called_name, words
from codemods.analysis.scope import assigned_targets, dotted_name, walk, walk_same_frame

_NOT_HOLDING = frozenset({"login", "authenticate", "auth"})
"""Setup words that only make requests on the session: nothing stays open."""
_HOLDING_STEMS = (
    *("connect", "open", "start", "subscri", "register", "bind", "lock", "acquire", "listen"),
    *("run", "watch", "stream", "init", "setup", "serve", "monitor", "socket", "ws"),
)
"""Beginnings of words (`connection`, `listener`, `initialize`, `websocket` is web, socket)
naming a call or a class that opens, starts or serves something that stays open."""


@functools.lru_cache(maxsize=8)  # asked for each cleanup a rule weighs in the function
def borrowed_session_clients(function: cst.FunctionDef) -> frozenset[str]:
    """The names and attribute chains `function` binds, once, to a plain call of a class that
    builds a client on a session the function did not create, handed to that call or to a
    method of the client (`client = Api(url, session=session)`), when the function does
    nothing with the client but await its request methods and close it. (Nodes hash by
    identity, and a changed tree is made of new nodes.)"""
    bindings = _bindings(function)
    calls = [node for node in walk_same_frame(function.body) if type(node) is cst.Call]
    found: set[str] = set()
    for name, values in bindings.items():
        if len(values) != 1 or not _builds_an_object(built := values[0]):
            continue
        if not _only_requests_and_closes(function, name):
            continue
        methods = [call for call in calls if _receiver(call) == name]
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
        and (call := call_of(small.value)) is not None
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
        kind = type(node)  # (by type, as asked of every node: see `_ASSIGNMENTS`)
        if kind in _ASSIGNMENTS:
            assignment = cast(_Assignment, node)
            if assignment.value is None:
                continue
            value = assignment.value if kind is not cst.AugAssign else cst.Name("None")
            for target in assigned_targets(assignment):
                if (chain := dotted_name(target)) is not None:
                    found.setdefault(chain, []).append(value)
        elif kind in _OTHER_BINDERS:
            for target in _other_targets(cast("cst.For | cst.With | cst.NamedExpr", node)):
                if (chain := dotted_name(target)) is not None:
                    found.setdefault(chain, []).append(cst.Name("None"))
    return found


_Assignment = cst.Assign | cst.AnnAssign | cst.AugAssign
_ASSIGNMENTS = frozenset((cst.Assign, cst.AnnAssign, cst.AugAssign))
"""Compared by type, as every node of a function is: node classes are ABCs (`isinstance`
against them is slow), and these have no subclasses. So are those below."""
_OTHER_BINDERS = frozenset((cst.For, cst.With, cst.NamedExpr))
_STORING = frozenset((cst.Assign, cst.AnnAssign, cst.Return))
_NAME_OR_ATTRIBUTE = frozenset((cst.Name, cst.Attribute))
_NameOrAttribute = cst.Name | cst.Attribute


def _other_targets(node: cst.For | cst.With | cst.NamedExpr) -> Iterator[cst.BaseExpression]:
    if isinstance(node, cst.For | cst.NamedExpr):
        yield node.target
    else:
        yield from (item.asname.name for item in node.items if item.asname is not None)


def _args(built: cst.BaseExpression, methods: list[cst.Call]) -> Iterator[cst.Arg]:
    if isinstance(built, cst.Call):
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
    """The parameters that always hold what the caller passed: none with a default
    (`session=None`, `session=_DEFAULT`) or `None` in its annotation (`session:
    ClientSession | None`, `Optional[...]`, a string), with which the client may create a
    session of its own."""
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    return {
        param.name.value
        for param in every
        if param.default is None
        and (param.annotation is None or not _may_be_none(param.annotation.annotation))
    }


def _may_be_none(annotation: cst.BaseExpression) -> bool:
    return any(
        isinstance(node, cst.BaseString)
        or (isinstance(node, cst.Name) and node.value in {"None", "Optional"})
        or (isinstance(node, cst.Attribute) and node.attr.value == "Optional")
        for node in walk(annotation)
    )


def _builds_an_object(value: cst.BaseExpression) -> bool:
    """`Api(host, ...)`, `pkg.Api(...)`: a plain call of a class (CapWords, PEP 8) not named
    for a connection or a stream. Not an awaited build, a function (`ws_connect(...)`,
    `create_session(...)`) or a classmethod (`Api.connect(...)`)."""
    if not isinstance(value, cst.Call):
        return False
    name = called_name(value) or ""
    return (
        name[:1].isupper()
        and not name.isupper()
        and not _holds(name)
        and not _names_a_session(value)  # `SessionManager(session)`: a session of its own
    )


def _holds(name: str) -> bool:
    """`connect`, `start_listening`, `async_setup`, `run`, `TickerStream`: a call or a class
    that keeps something open on the session (logging in does not)."""
    parts = words(name)
    return _NOT_HOLDING.isdisjoint(parts) and any(part.startswith(_HOLDING_STEMS) for part in parts)


def _only_requests_and_closes(function: cst.FunctionDef, client: str) -> bool:
    """Whether every mention of `client` in `function` (nested functions included) binds it,
    stores or returns it (`hub.clients[key] = (client, token)`), awaits one of its request
    methods (`await client.get(path)`) or closes it."""
    allowed: set[int] = set()
    mentions: list[int] = []
    for node in walk(function.body):
        kind = type(node)
        if kind in _NAME_OR_ATTRIBUTE and dotted_name(cast(_NameOrAttribute, node)) == client:
            mentions.append(id(node))
        if kind in _STORING:
            storing = cast("cst.Assign | cst.AnnAssign | cst.Return", node)
            stored = [*assigned_targets(storing), *_values(storing.value)]
            allowed.update(id(target) for target in stored if dotted_name(target) == client)
        elif kind is cst.Await and type(cast(cst.Await, node).expression) is cst.Call:
            call = cast(cst.Call, cast(cst.Await, node).expression)
            if not _holds(called_name(call) or ""):
                allowed.update(_receiver_nodes(call, client))
        elif kind is cst.Call and _closes_itself(called_name(cast(cst.Call, node)) or ""):
            allowed.update(_receiver_nodes(cast(cst.Call, node), client))
    return all(mention in allowed for mention in mentions)


def _values(value: cst.BaseExpression | None) -> list[cst.BaseExpression]:
    if isinstance(value, cst.Tuple | cst.List):
        return [element.value for element in value.elements]
    return [] if value is None else [value]


def _receiver_nodes(call: cst.Call, client: str) -> Iterator[int]:
    func = call.func
    if isinstance(func, cst.Attribute) and dotted_name(func.value) == client:
        yield id(func.value)


def _receiver(call: cst.Call) -> str | None:
    func = call.func
    return dotted_name(func.value) if isinstance(func, cst.Attribute) else None
