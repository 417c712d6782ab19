"""What a coroutine sets up before a `try` (or starts inside it), and whether a statement of
a handler undoes exactly that.

Undoing is the pairing "set up in this function / undone in the handler": closing the client
the function created, releasing the lock it acquired, removing the entry it registered,
disconnecting what it connected, giving back what it took. A handler statement that acts on
anything else (a flag of a long-lived object, a negative cache entry, a notification, a
shared connection the function only used) records what the error means; a cancellation means
none of that.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import libcst as cst

from codemods.analysis.blocks import statements
from codemods.analysis.cleanup import (
    call_of,
    called_name,
    is_cleanup_call,
    is_logging_call,
    words,
)
from codemods.analysis.scope import dotted_name, has_call, mentions, walk_same_frame

_SETUP_WORDS = frozenset(
    {"connect", "open", "login", "start", "acquire", "subscribe", "register", "lock", "bind"}
)
"""Verbs whose call on a receiver starts something its teardown (`close`, `disconnect`...)
ends: `self._connect()`, `self.api.login()`, `await transport.open()`."""


def is_setup_name(name: str) -> bool:
    """`connect`, `_connect`, `async_login`, `start_session`: a call that starts something."""
    return not _SETUP_WORDS.isdisjoint(words(name))


_REGISTERING = frozenset({"append", "appendleft", "add", "insert"})
_UNREGISTERING = frozenset({"pop", "remove", "discard"})
_GIVING_BACK = frozenset({"put", "put_nowait", "release", "append", "appendleft", "add"})
"""Calls that hand what the function holds back to its owner: `self._pool.put_nowait(conn)`."""
_MAX_HELPER_DEPTH = 3


@dataclass(frozen=True)
class SetUp:
    """What a coroutine set up before a `try`, seen from one of the `try`'s handlers."""

    held: frozenset[str]
    """Names and attribute chains bound to what a call returned, or acquired (`client`,
    `self._client`, `self._lock`), before or in the `try`: objects the function created or
    took. (A handler line that uses a name the `try` binds is no fix: CF205 says so.)"""
    set_in_try: frozenset[str]
    """Attribute chains of `held` that only the `try` body binds: still unset, or holding
    an earlier object, when a cancellation comes before that line."""
    closed_after: frozenset[str]
    """Cleanup calls the function makes after the `try` (`self._upstream.close()`): what
    every path but the failing ones ends with, so the handler's copy is no reaction to the
    error."""
    opened: frozenset[str]
    """Receivers the function (or a helper of its class it calls) connected, opened, started
    or logged in before or in the `try` (`self` of `self._connect()`), and its parameters:
    their teardown undoes what this exchange began."""
    registered: frozenset[str]
    """`self._streams[stream_id]`, `self._waiters(waiter)`: entries the function added."""
    counted: frozenset[str]
    """Targets the function incremented (`self._in_flight += 1`)."""
    exchanges_on_self: bool
    """The `try` awaits a call through one of the object's own attributes
    (`await self.protocol.execute_command(...)`): cancelled, the object is left mid-exchange."""
    methods: Mapping[str, cst.FunctionDef]
    """The enclosing class's methods, to look into `self._helper()`."""
    cleanup_names: frozenset[str]

    def undoes(self, statement: cst.BaseStatement, depth: int = 0) -> bool | None:
        """Whether `statement` undoes what was set up (None: it does nothing that counts,
        `pass`, logging, a local the `raise` abandons; False: it does something else)."""
        verdicts = [self._small(small, depth) for small in _smalls(statement)]
        decided = [verdict for verdict in verdicts if verdict is not None]
        return None if not decided else all(decided)

    def _small(self, small: cst.BaseSmallStatement, depth: int) -> bool | None:
        if isinstance(small, cst.Pass | cst.Raise):
            return None
        if isinstance(small, cst.Expr):
            if is_logging_call(small.value):
                return None
            return self._call(small.value, depth)
        if isinstance(small, cst.Assign | cst.AnnAssign):
            targets = (
                [target.target for target in small.targets]
                if isinstance(small, cst.Assign)
                else [small.target]
            )
            if all(isinstance(target, cst.Name) for target in targets):
                return None
            return any(mentions(target, set(self.held)) for target in targets)
        if isinstance(small, cst.AugAssign):
            undoes_count = isinstance(small.operator, cst.SubtractAssign) and (
                dotted_name(small.target) in self.counted
            )
            return undoes_count or mentions(small.target, set(self.held))
        if isinstance(small, cst.Del):
            return all(self._removes(target) for target in _del_targets(small))
        return False

    def _removes(self, target: cst.BaseExpression) -> bool:
        return _code(target) in self.registered or mentions(target, set(self.held))

    def _call(self, expression: cst.BaseExpression, depth: int) -> bool:
        call = call_of(expression)
        if call is None:
            return False
        name, func = called_name(call), call.func
        receiver = func.value if isinstance(func, cst.Attribute) else None
        held = set(self.held)
        if _code(call) in self.closed_after:
            return True
        if receiver is not None and mentions(receiver, held):
            return True
        if (name in _GIVING_BACK or self._tears_down(call)) and any(
            mentions(arg.value, held) for arg in call.args
        ):
            return True
        if receiver is None:
            return False
        chain = dotted_name(receiver)
        if self._tears_down(call) and (
            chain in self.opened or (chain == "self" and self.exchanges_on_self)
        ):
            return True
        if name in _UNREGISTERING and call.args and self._unregisters(receiver, call.args[0]):
            return True
        return chain == "self" and name is not None and self._helper_undoes(name, depth)

    def _tears_down(self, call: cst.Call) -> bool:
        return is_cleanup_call(call, self.cleanup_names, loose=True)

    def _unregisters(self, registry: cst.BaseExpression, item: cst.Arg) -> bool:
        base, key = _code(registry), _code(item.value)
        return f"{base}[{key}]" in self.registered or f"{base}({key})" in self.registered

    def _helper_undoes(self, name: str, depth: int) -> bool:
        """`await self._cleanup_device()`: whether the class's own helper undoes something."""
        method = self.methods.get(name)
        if method is None or depth >= _MAX_HELPER_DEPTH:
            return False
        return any(
            self.undoes(line, depth + 1) is True
            for statement in statements(method.body)
            for line in _simple_lines(statement)
        )


def _smalls(statement: cst.BaseStatement) -> Iterator[cst.BaseSmallStatement]:
    """The small statements of `statement`, through `if`, `with`, `try` and loops."""
    for node in walk_same_frame(statement):
        if isinstance(node, cst.BaseSmallStatement):
            yield node


def _simple_lines(statement: cst.BaseStatement) -> Iterator[cst.SimpleStatementLine]:
    for node in walk_same_frame(statement):
        if isinstance(node, cst.SimpleStatementLine):
            yield node


def _del_targets(small: cst.Del) -> list[cst.BaseExpression]:
    target = small.target
    if isinstance(target, cst.Tuple):
        return [element.value for element in target.elements]
    return [target]


_EMPTY_MODULE = cst.Module(body=[])


def _code(node: cst.CSTNode) -> str:
    return _EMPTY_MODULE.code_for_node(node)


def set_up_before(
    node: cst.Try,
    ancestors: Sequence[cst.CSTNode],
    cleanup_names: frozenset[str],
) -> SetUp:
    """What the coroutine around `node` (ancestors nearest first) set up on the way to it,
    and what the `try` body starts."""
    before = list(_preceding(node, ancestors))
    function = next(a for a in ancestors if isinstance(a, cst.FunctionDef))
    cls = next((a for a in ancestors if isinstance(a, cst.ClassDef)), None)
    module = ancestors[-1] if ancestors and isinstance(ancestors[-1], cst.Module) else None
    methods = _class_methods(cls, module) if cls is not None else _ClassMethods({})
    facts, in_try = _Facts(), _Facts()
    for statement in before:
        facts.learn(statement, methods, depth=0)
    in_try.learn(node.body, methods, depth=0)
    set_in_try = {chain for chain in in_try.held - facts.held if "." in chain}
    facts.learn_opened(node.body, methods, depth=0)
    facts.held |= in_try.held
    facts.opened.update(_parameters(function))
    exchanges = any(
        isinstance(child, cst.Await)
        and isinstance(child.expression, cst.Call)
        and isinstance(func := child.expression.func, cst.Attribute)
        and isinstance(func.value, cst.Attribute)
        and (chain := dotted_name(func.value)) is not None
        and chain.startswith("self.")
        for child in walk_same_frame(node.body)
    )
    closed_after = {
        _code(child)
        for statement in _following(node, ancestors)
        for child in walk_same_frame(statement)
        if isinstance(child, cst.Call) and is_cleanup_call(child, cleanup_names)
    }
    return SetUp(
        held=frozenset(facts.held),
        set_in_try=frozenset(set_in_try),
        closed_after=frozenset(closed_after),
        opened=frozenset(facts.opened),
        registered=frozenset(facts.registered),
        counted=frozenset(facts.counted),
        exchanges_on_self=exchanges,
        methods=methods.by_name,
        cleanup_names=cleanup_names,
    )


def _preceding(node: cst.CSTNode, ancestors: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """The statements that may have run before `node` in its function: the earlier
    statements of each enclosing block, not other branches of an enclosing `if`."""
    for block, index in _enclosing_blocks(node, ancestors):
        yield from block[:index]


def _following(node: cst.CSTNode, ancestors: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """The statements of each enclosing block after `node`'s."""
    for block, index in _enclosing_blocks(node, ancestors):
        yield from block[index + 1 :]


def _enclosing_blocks(
    node: cst.CSTNode, ancestors: Sequence[cst.CSTNode]
) -> Iterator[tuple[Sequence[cst.BaseStatement | cst.BaseSmallStatement], int]]:
    """Each block of the function around `node`, with the index of the statement on the way."""
    child = node
    for parent in ancestors:
        if isinstance(parent, cst.FunctionDef):
            return
        if isinstance(parent, cst.IndentedBlock | cst.SimpleStatementSuite):
            index = next(i for i, statement in enumerate(parent.body) if statement is child)
            yield parent.body, index
        child = parent


@dataclass(frozen=True, eq=False)
class _ClassMethods:
    """The methods of a class, and what each of its helpers binds and opens when learnt at
    a depth (see `_Facts._learn_helper`): the same whichever `try` of the class calls it."""

    by_name: Mapping[str, cst.FunctionDef]
    helpers: dict[tuple[cst.FunctionDef, int], tuple[tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=dict
    )


@functools.lru_cache(maxsize=8)  # asked for each `try` of the class's coroutines in turn
def _class_methods(cls: cst.ClassDef, module: cst.Module | None) -> _ClassMethods:
    return _ClassMethods(_methods(cls, module))


def _methods(cls: cst.ClassDef, module: cst.Module | None) -> dict[str, cst.FunctionDef]:
    """The methods of `cls` and of its base classes defined in the same module."""
    classes = {
        statement.name.value: statement
        for statement in (module.body if module is not None else ())
        if isinstance(statement, cst.ClassDef)
    }
    found: dict[str, cst.FunctionDef] = {}
    lineage, seen = [cls], set()
    while lineage:
        current = lineage.pop(0)
        if current.name.value in seen:
            continue
        seen.add(current.name.value)
        for statement in statements(current.body):
            if isinstance(statement, cst.FunctionDef):
                found.setdefault(statement.name.value, statement)
        bases = (dotted_name(base.value) for base in current.bases)
        lineage += [classes[name] for name in bases if name in classes]
    return found


def _parameters(function: cst.FunctionDef) -> set[str]:
    params = function.params
    every = [*params.posonly_params, *params.params, *params.kwonly_params]
    return {param.name.value for param in every} - {"self", "cls"}


class _Facts:
    def __init__(self) -> None:
        self.held: set[str] = set()
        self.opened: set[str] = set()
        self.registered: set[str] = set()
        self.counted: set[str] = set()

    def learn(self, node: cst.CSTNode, methods: _ClassMethods, depth: int) -> None:
        """What `node` binds, acquires, registers or counts, in its own frame."""
        for child in walk_same_frame(node):
            # (By type: every node is tested, and none of these classes has subclasses.)
            if type(child) is cst.Assign or type(child) is cst.AnnAssign:
                self._assigned(child)
            elif type(child) is cst.AugAssign and isinstance(child.operator, cst.AddAssign):
                if (chain := dotted_name(child.target)) is not None:
                    self.counted.add(chain)
            elif type(child) is cst.Call:
                self._called(child, methods, depth)

    def learn_opened(self, node: cst.CSTNode, methods: _ClassMethods, depth: int) -> None:
        """What the `try` body starts: receivers of setup calls, and the attributes the
        class's helpers it calls bind (a pool's `self._conn = await connect()`)."""
        for child in walk_same_frame(node):
            if type(child) is cst.Call:  # (by type, as in `learn`)
                self._called(child, methods, depth, opened_only=True)

    def _assigned(self, assign: cst.Assign | cst.AnnAssign) -> None:
        targets = (
            [target.target for target in assign.targets]
            if isinstance(assign, cst.Assign)
            else [assign.target]
        )
        if assign.value is None:
            return
        for target in targets:
            if isinstance(target, cst.Subscript):
                self.registered.add(_code(target))
            elif has_call(assign.value) or dotted_name(assign.value) in self.held:
                for element in _flattened(target):
                    if (chain := dotted_name(element)) is not None:
                        self.held.add(chain)
        self.held.discard("self")

    def _called(
        self,
        call: cst.Call,
        methods: _ClassMethods,
        depth: int,
        *,
        opened_only: bool = False,
    ) -> None:
        func, name = call.func, called_name(call)
        if not isinstance(func, cst.Attribute) or name is None:
            return
        receiver = dotted_name(func.value)
        if receiver is not None and is_setup_name(name):
            self.opened.add(receiver)
            if name == "acquire" and not opened_only:
                self.held.add(receiver)
        if not opened_only and name in _REGISTERING and call.args and receiver is not None:
            self.registered.add(f"{_code(func.value)}({_code(call.args[0].value)})")
        if receiver == "self" and name in methods.by_name and depth < _MAX_HELPER_DEPTH:
            self._learn_helper(methods.by_name[name], methods, depth + 1)

    def _learn_helper(self, method: cst.FunctionDef, methods: _ClassMethods, depth: int) -> None:
        """A helper of the class binds `self.` attributes that the caller now holds; its
        locals are its own. (Learnt once per class and depth: its facts start empty.)"""
        key = (method, depth)
        if key not in methods.helpers:
            inner = _Facts()
            inner.learn(method.body, methods, depth)
            methods.helpers[key] = (
                tuple(chain for chain in inner.held if chain.startswith("self.")),
                tuple(
                    chain for chain in inner.opened if chain == "self" or chain.startswith("self.")
                ),
            )
        held, opened = methods.helpers[key]
        self.held.update(held)
        self.opened.update(opened)


def _flattened(target: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(target, cst.Tuple | cst.List):
        return [part for element in target.elements for part in _flattened(element.value)]
    return [target]


def undoes_only_set_up(setup: SetUp, lines: Sequence[cst.BaseStatement]) -> tuple[bool, str | None]:
    """Whether some of `lines` undo what was set up, and the first line that does something
    else (None: every line that does something undoes it)."""
    undoing, other = False, None
    for line in lines:
        verdict = setup.undoes(line)
        undoing = undoing or verdict is True
        if verdict is False and other is None:
            other = _code(line).strip().splitlines()[0]
    return undoing, other
