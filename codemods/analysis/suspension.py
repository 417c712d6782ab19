"""Where a coroutine can really be cancelled: awaits that never suspend, and coroutines that
only run where no cancellation reaches them.

A CancelledError is delivered where a coroutine suspends. `await self.reset()`, where the
module's `async def reset(self): self._stack = []` has no `await` of its own, runs `reset`
to its end without giving the event loop a turn: no cancellation can arrive there, and the
cleanup after it is not skipped by one. Nor by `await future` right after
`future.set_exception(error)`: a done future's `await` returns at once. The rules that judge
cleanup "skipped if cancelled before it" count only the awaits that may suspend.

The module's own definitions are read: a module-level `async def` awaited by name, a
method of the same class awaited on the method's `self`, undecorated and bound once (a
subclass in another module that overrides the method with one that suspends is not seen).
"Bound once": the `def` is the name's only binding in the module's (or the class body's)
own frame, nested blocks included (a second `def` under `if`, an assignment, annotated or
augmented, a `for`, `with` or `except ... as` target, `:=`, an import in a `try`, `del`),
no function declares the name `global`, and no star import may bind it.
So is another module of the file's own package, when the module binds the name awaited only
by one top-level import of it (`from .metrics import record`, `from pkg.metrics import
record`, or `import pkg.metrics as m` for `await m.record()`, where the module neither
assigns `m.record` nor hands `m` to `setattr` at its top level): a top-level `async def` of
that module, undecorated and bound once, never suspends when its own awaits are of that
module's functions that never suspend (its imports are not followed in turn). Which file an
import names is `codemods.analysis.siblings`'s to say; what it cannot find, and what any
other module defines, may suspend.

A coroutine function can be cancelled only through its callers. A private one whose every
use in its module is a shielded call (`asyncio.shield(self._close())`, or an await inside
`with trio.CancelScope(shield=True):`) runs to its end whatever happens to them.
"""

from __future__ import annotations

import ast
import functools
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import cast

import libcst as cst
from libcst.helpers import get_full_name_for_node

from codemods.analysis import siblings
from codemods.analysis.blocks import bound_names, names_bound_by, statements
from codemods.analysis.cleanup import called_name
from codemods.analysis.handlers import TryNode, guarded_coroutine
from codemods.analysis.names import ModuleNames, module_names
from codemods.analysis.scope import (
    children,
    dotted_name,
    is_cancellation_point,
    walk_same_frame,
    walk_statements,
)
from codemods.prefilter.focus import Function, stubbable, stubbed

_SHIELDING_SCOPES = frozenset(
    {"CancelScope", "move_on_after", "move_on_at", "fail_after", "fail_at"}
)
"""trio's and anyio's cancel scopes, which `shield=True` makes deaf to outer cancellation."""

_COMPLETERS = frozenset({"set_result", "set_exception"})

MAX_SIBLING_BYTES = 512 * 1024
"""Another module of the package larger than this is not parsed: its functions may suspend."""


@dataclass(frozen=True)
class _Import:
    """What a module-level name is bound to by an import: `from <level dots><module> import
    <name>`, or the module itself (`import <module> as alias`: name None)."""

    module: str
    level: int
    name: str | None


@dataclass(frozen=True)
class _Bindings:
    """How often each name (and attribute chain, `m.record`) is bound in a frame, a module's
    or a class body's: by its statements, nested blocks included, and for a module by the
    `global` declarations of its functions too."""

    counts: Counter[str]
    star: bool
    """Whether a star import may bind any name."""
    patched: frozenset[str]
    """The names whose every attribute `setattr(name, ...)` may bind."""

    def once(self, name: str) -> bool:
        return not self.star and self.counts[name] == 1

    def rebinds_attribute(self, name: str, attribute: str) -> bool:
        return name in self.patched or self.counts[f"{name}.{attribute}"] > 0

    @classmethod
    def of_frame(cls, body: Sequence[cst.CSTNode], declared: Iterable[str] = ()) -> _Bindings:
        """The bindings of the frame whose statements are `body`, and of the names
        `declared` (`global` by functions), each once per declaration."""
        counts: Counter[str] = Counter(declared)
        star, patched = False, set()
        for node in (child for statement in body for child in walk_same_frame(statement)):
            counts.update(names_bound_by(node))
            kind = type(node)  # (by type: asked of every node of the frame)
            star = star or kind is cst.ImportStar
            if kind is cst.Call and (target := _setattr_target(cast(cst.Call, node))):
                patched.add(target)
        return cls(counts, star, frozenset(patched))

    @classmethod
    def of_module(cls, module: cst.Module) -> _Bindings:
        declared = (
            name.name.value
            for node in walk_statements(module)
            if isinstance(node, cst.Global)
            for name in node.names
        )
        return cls.of_frame(module.body, declared)


def _setattr_target(call: cst.Call) -> str | None:
    """The `m` of `setattr(m, ...)`."""
    func, args = call.func, call.args
    if isinstance(func, cst.Name) and func.value == "setattr" and args:
        return dotted_name(args[0].value)
    return None


@dataclass
class Suspensions:
    """Which coroutine functions of a module never suspend, computed on demand."""

    module: cst.Module
    path: str | None = None
    """The module's file, whose package's other modules are read for what they define; None
    for a module read on its own (those modules may suspend)."""
    owner: dict[cst.FunctionDef, cst.ClassDef] = field(init=False)
    """The class whose body defines each method."""
    _never: dict[cst.FunctionDef, bool] = field(init=False, default_factory=dict)
    _may_suspend: dict[tuple[cst.CSTNode, cst.FunctionDef, frozenset[str]], bool] = field(
        init=False, default_factory=dict
    )
    """`may_suspend`'s answers: several rules ask it of each `try` body."""
    _imports: dict[str, _Import | None] | None = field(init=False, default=None)
    """The names the module's top-level import statements bind; None for a name bound by
    more than one, or by an import of no module of the package (`import pkg.x` binds `pkg`)."""
    _never_in: dict[tuple[str, int], frozenset[str]] = field(init=False, default_factory=dict)
    _uses: dict[str, list[bool]] | None = field(init=False, default=None)
    """Each name the module reads, with whether each reading is a shielded call."""
    _class_bodies: dict[cst.ClassDef, list[cst.BaseStatement]] = field(init=False)
    """The statements of each class's body."""

    def __post_init__(self) -> None:
        self.owner, self._class_bodies = {}, {}
        pending = [s for s in self.module.body if isinstance(s, cst.ClassDef)]
        while pending:
            cls = pending.pop()
            body = list(cls.body.body) if isinstance(cls.body, cst.IndentedBlock) else []
            self._class_bodies[cls] = body
            self.owner.update((s, cls) for s in body if isinstance(s, cst.FunctionDef))
            pending += [s for s in body if isinstance(s, cst.ClassDef)]

    @functools.cached_property
    def methods(self) -> dict[cst.ClassDef, dict[str, cst.FunctionDef | None]]:
        """The methods of each class by name; None for a name bound more than once, or that
        another class of the module defines too (a subclass may override it). (Walking the
        class bodies costs: computed only when a method's are asked.)"""
        methods = {
            cls: _definitions(body, _Bindings.of_frame(body))
            for cls, body in self._class_bodies.items()
        }
        defined = Counter(name for names in methods.values() for name in names)
        for names in methods.values():
            for name in names:
                if defined[name] > 1:
                    names[name] = None
        return methods

    @functools.cached_property
    def bindings(self) -> _Bindings:
        """The bindings of the module's names. (Walking the module for them costs: computed
        only when a name's are asked.)"""
        return _Bindings.of_module(self.module)

    @functools.cached_property
    def functions(self) -> dict[str, cst.FunctionDef | None]:
        """The module-level functions by name; None for a name bound more than once."""
        return _definitions(self.module.body, self.bindings)

    def may_suspend(
        self, node: cst.CSTNode, function: cst.FunctionDef, done: frozenset[str] = frozenset()
    ) -> bool:
        """Whether `node`, code in `function`'s own frame, has a cancellation point where
        the coroutine may suspend (an `await` of a future in `done` does not)."""
        key = (node, function, done)
        if key not in self._may_suspend:
            self._may_suspend[key] = any(
                self.suspends_at(child, function, done) for child in walk_same_frame(node)
            )
        return self._may_suspend[key]

    def suspends_at(
        self, node: cst.CSTNode, function: cst.FunctionDef, done: frozenset[str] = frozenset()
    ) -> bool:
        """Whether `node` is a cancellation point of `function` that may suspend."""
        if not is_cancellation_point(node):
            return False
        if not isinstance(node, cst.Await):
            return True
        if dotted_name(node.expression) in done:
            return False
        return not self._runs_awaited_through(node, function)

    def _runs_awaited_through(self, node: cst.Await, caller: cst.FunctionDef) -> bool:
        """Whether the `await` in `caller` runs a coroutine function, of the module or of
        another module of its package, that never suspends."""
        callee = self.awaited_function(node, caller)
        if callee is not None:
            return self.never_suspends(callee)
        if self.path is None or (imported := self._imported_callee(node)) is None:
            return False
        bound, target = imported
        return target.name in self._never_suspending_in(
            self.path, target.module, target.level
        ) and not _binds(caller, bound)

    def _never_suspending_in(self, path: str, module: str, level: int) -> frozenset[str]:
        """The coroutine functions that never suspend of the module that this one imports as
        `module` (after `level` dots), if it is another module of its package."""
        key = (module, level)
        if key not in self._never_in:
            found = siblings.imported_module(path, module, level, _SIBLINGS)
            self._never_in[key] = found or frozenset()
        return self._never_in[key]

    def awaited_function(self, node: cst.Await, caller: cst.FunctionDef) -> cst.FunctionDef | None:
        """The module's coroutine function that `await f(...)` or `await self.m(...)` calls
        from `caller`, if the module defines it."""
        call = node.expression
        if not isinstance(call, cst.Call):
            return None
        func = call.func
        if isinstance(func, cst.Name):
            return None if _binds(caller, func.value) else self.functions.get(func.value)
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return None
        cls = self.owner.get(caller)
        if cls is None or func.value.value != _first_parameter(caller):
            return None
        return self.methods[cls].get(func.attr.value)

    def _imported_callee(self, node: cst.Await) -> tuple[str, _Import] | None:
        """The module-level name that `await f(...)` or `await m.f(...)` reads (`f`, `m`),
        and the function of another module that it calls, where one top-level import of the
        module is the name's only binding (and, for `m.f`, nothing binds the attribute)."""
        call = node.expression
        if not isinstance(call, cst.Call):
            return None
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            name, attribute = func.value.value, func.attr.value
        elif isinstance(func, cst.Name):
            name, attribute = func.value, None
        else:
            return None
        if self._imports is None:
            self._imports = _imported_names(self.module.body)
        imported = self._imports.get(name)
        if imported is None or not self.bindings.once(name):
            return None
        if attribute is None:
            return (name, imported) if imported.name is not None else None
        if imported.name is not None or self.bindings.rebinds_attribute(name, attribute):
            return None  # an attribute of what `from m import x` binds (not a module), or set
        return name, _Import(imported.module, imported.level, attribute)

    def never_suspends(self, function: cst.FunctionDef) -> bool:
        """Whether awaiting a call of the coroutine function `function` runs it to its end
        without suspending. Each function is judged once; one that recursion leads back to
        while it is judged is taken to suspend (so is every function of such a cycle)."""
        if function not in self._never:
            self._never[function] = False
            self._never[function] = self._runs_through(function)
        return self._never[function]

    def _runs_through(self, function: cst.FunctionDef) -> bool:
        """Whether the coroutine function runs to its end without suspending: every
        cancellation point in it is an await of a function that never suspends either."""
        if function.asynchronous is None or function.decorators:
            return False
        if function in self.owner and _is_hook(function):
            return False  # a method that does nothing is there to be overridden
        for node in walk_same_frame(function.body):
            if isinstance(node, cst.Yield):
                return False  # an async generator
            if not is_cancellation_point(node):
                continue
            if not isinstance(node, cst.Await) or not self._runs_awaited_through(node, function):
                return False
        return True

    def only_runs_shielded(self, function: cst.FunctionDef) -> bool:
        """Whether the private coroutine function `function` is used in the module only in
        shielded calls, at least once: no caller's cancellation reaches it."""
        name = function.name.value
        if not name.startswith("_") or name.startswith("__") or function.decorators:
            return False
        cls = self.owner.get(function)
        if function is not (self.functions if cls is None else self.methods[cls]).get(name):
            return False  # not bound once in the module or its class
        uses = self.uses(name)
        return bool(uses) and all(uses)

    def uses(self, name: str) -> list[bool]:
        """Each reading of `name` in the module (a call, a reference, the `m` of `x.m`), with
        whether it is a shielded call."""
        if self._uses is None:
            self._uses = {}
            for reference, shielded in _references(self.module):
                self._uses.setdefault(reference, []).append(shielded)
        return self._uses.get(name, [])


@functools.lru_cache(maxsize=4)  # the rules of a pass ask in turn about the same module
def suspensions(module: cst.Module, path: str | None = None) -> Suspensions:
    """The module's suspensions; `path`, its file, lets them read its package's modules."""
    return Suspensions(module, path)


def _never_suspending(source: bytes) -> frozenset[str]:
    """The top-level coroutine functions of a module (another of the package) that never
    suspend, judged as the module's own are; none for a module that does not parse."""
    if len(source) > MAX_SIBLING_BYTES:
        return frozenset()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    # The stdlib gate first: most modules have no such function, and need no LibCST tree.
    kept = [
        node
        for node in tree.body
        if isinstance(node, ast.AsyncFunctionDef) and may_never_suspend([node])
    ]
    if not kept:
        return frozenset()
    # Every other function reduced to a stub (a plain `def`, awaited: may suspend, as the
    # gate says the whole one may), LibCST parses only what is judged.
    others = stubbable(
        source, [function for function in _outermost_functions(tree) if function not in kept]
    )
    try:
        judged = Suspensions(cst.parse_module(stubbed(source, others)))
        return frozenset(
            function.name
            for function in kept
            if (definition := judged.functions.get(function.name)) is not None
            and judged.never_suspends(definition)
        )
    except (cst.ParserSyntaxError, RecursionError):
        return frozenset()


def _outermost_functions(tree: ast.Module) -> Iterator[Function]:
    """The functions of a module that no function holds (methods among them)."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node
        else:
            pending += [c for c in ast.iter_child_nodes(node) if not isinstance(c, ast.expr)]


_SIBLINGS = siblings.FileSummaries(_never_suspending)


@dataclass(frozen=True)
class Suspending:
    """Where the coroutine `function` may suspend, in the light of its module's definitions."""

    suspensions: Suspensions
    function: cst.FunctionDef

    def within(self, node: cst.CSTNode, done: frozenset[str] = frozenset()) -> bool:
        """Whether `node` (code of the function's own frame) may suspend; an `await` of a
        future in `done` does not."""
        return self.suspensions.may_suspend(node, self.function, done)

    def at(self, node: cst.CSTNode) -> bool:
        """Whether `node` is a cancellation point where the function may suspend."""
        return self.suspensions.suspends_at(node, self.function)


def suspending(
    module: cst.Module, function: cst.FunctionDef, path: str | None = None
) -> Suspending:
    return Suspending(suspensions(module, path), function)


def _definitions(
    body: Sequence[cst.CSTNode], bindings: _Bindings
) -> dict[str, cst.FunctionDef | None]:
    """The names a module or class body binds, with the function each is where a `def` of
    the body is its only binding; None for any other."""
    defined = {s.name.value: s for s in body if isinstance(s, cst.FunctionDef)}
    return {name: defined.get(name) if bindings.once(name) else None for name in bindings.counts}


def _imported_names(body: Sequence[cst.BaseStatement]) -> dict[str, _Import | None]:
    """The names that the module's top-level import statements bind, and what to: None for
    a name bound twice, or to no module of the package."""
    found: dict[str, _Import | None] = {}
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                for name, imported in _imports(small):
                    found[name] = None if name in found else imported
    return found


def _imports(small: cst.BaseSmallStatement) -> Iterator[tuple[str, _Import | None]]:
    """The names an import statement binds, with the import each is (None: not one that
    names a module of the package's, as `import pkg.x`, which binds `pkg`)."""
    if isinstance(small, cst.ImportFrom):
        module = get_full_name_for_node(small.module) if small.module is not None else None
        if isinstance(small.names, cst.ImportStar):
            return  # (what it binds is `_Bindings.star`)
        for alias in small.names:
            name = alias.evaluated_name
            imported = None if module is None else _Import(module, len(small.relative), name)
            yield alias.evaluated_alias or name, imported
    elif isinstance(small, cst.Import):
        for alias in small.names:
            if alias.asname is None:
                yield alias.evaluated_name.split(".")[0], None
            else:
                yield alias.evaluated_alias or "", _Import(alias.evaluated_name, 0, None)


def _is_hook(method: cst.FunctionDef) -> bool:
    """A method whose body is only a docstring, `pass`, `...` or a `raise`
    (`NotImplementedError`): a hook that subclasses override, maybe with one that suspends."""
    return all(
        isinstance(line, cst.SimpleStatementLine) and all(map(_does_nothing, line.body))
        for line in statements(method.body)
    )


def _does_nothing(small: cst.BaseSmallStatement) -> bool:
    if isinstance(small, cst.Expr):
        return isinstance(small.value, cst.SimpleString | cst.ConcatenatedString | cst.Ellipsis)
    return isinstance(small, cst.Pass | cst.Raise)


def _first_parameter(method: cst.FunctionDef) -> str | None:
    if any(_is_named(d.decorator, "staticmethod") for d in method.decorators):
        return None
    params = [*method.params.posonly_params, *method.params.params]
    return params[0].name.value if params else None


def _is_named(expr: cst.BaseExpression, name: str) -> bool:
    return (get_full_name_for_node(expr) or "").rsplit(".", 1)[-1] == name


def _binds(function: cst.FunctionDef, name: str) -> bool:
    """Whether `function` binds `name` itself (a parameter, an assignment), hiding the
    module's function of that name."""
    parameters = function.params
    every = [*parameters.posonly_params, *parameters.params, *parameters.kwonly_params]
    every += [p for p in (parameters.star_arg, parameters.star_kwarg) if isinstance(p, cst.Param)]
    return any(param.name.value == name for param in every) or name in bound_names([function.body])


def _references(module: cst.Module) -> Iterator[tuple[str, bool]]:
    """Each name the module reads (`f`, the `m` of `x.m`), with whether it is called in a
    shielded way there: `shield(f())`, or awaited in a shielding cancel scope."""
    shielded: set[cst.BaseExpression] = set()
    names = module_names(module)
    pending: list[tuple[cst.CSTNode, bool]] = [(module, False)]
    while pending:
        node, in_scope = pending.pop()
        kind = type(node)  # (by type: every node of the module; these classes have no subclasses)
        if kind is cst.Call:
            call = cast(cst.Call, node)
            if call.args and _is_shield(call.func, names):
                shielded.add(call.args[0].value)
            if (read := called_name(call)) is not None:
                yield read, call in shielded
        elif kind is cst.Await:
            if in_scope:
                shielded.add(cast(cst.Await, node).expression)
        elif kind is cst.Name:
            yield cast(cst.Name, node).value, False
        elif kind is cst.Attribute:
            yield cast(cst.Attribute, node).attr.value, False
        # A nested definition's code runs when it is called, wherever that is.
        in_scope = in_scope and kind not in _NEW_FRAME_TYPES
        pending += [(child, in_scope) for child in _read_parts(node) if _may_read(type(child))]
        if kind is cst.With and any(map(_shields, cast(cst.With, node).items)):
            pending.append((cast(cst.With, node).body, True))


_NEW_FRAME_TYPES = frozenset((cst.FunctionDef, cst.Lambda, cst.ClassDef))

_READ_NOTHING = (
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
    cst.Comment,
    cst.LeftParen,
    cst.RightParen,
    cst.Comma,
    cst.Dot,
    cst.Colon,
    cst.Semicolon,
    cst.AssignEqual,
    cst.BaseBinaryOp,
    cst.BaseBooleanOp,
    cst.BaseCompOp,
    cst.BaseUnaryOp,
    cst.BaseAugOp,
    cst.SimpleString,
    cst.Integer,
    cst.Float,
)
"""Whitespace, punctuation, operators and literals: no name, call or `with` among them or
their children, and most of a module's nodes."""


@functools.cache
def _may_read(node_type: type[cst.CSTNode]) -> bool:
    # Once per type: node classes are ABCs, and `isinstance` against ABCs is slow.
    return not issubclass(node_type, _READ_NOTHING)


def _read_parts(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The children of `node` that `_references` walks on its own: not the name a call,
    an attribute or a definition spells (reported with `node`), nor a shielded `with` body
    (walked apart)."""
    kind = type(node)
    if kind is cst.Call:
        func = cast(cst.Call, node).func
        skipped: cst.CSTNode = func if called_name(cast(cst.Call, node)) is not None else node
        parts = [child for child in children(node) if child is not skipped]
        return [*parts, func.value] if isinstance(func, cst.Attribute) else parts
    if kind is cst.Attribute:
        return [cast(cst.Attribute, node).value]
    if kind is cst.FunctionDef or kind is cst.ClassDef:
        name = cast(cst.FunctionDef | cst.ClassDef, node).name
        return [child for child in children(node) if child is not name]
    if kind is cst.With and any(map(_shields, cast(cst.With, node).items)):
        return [child for child in children(node) if child is not cast(cst.With, node).body]
    return children(node)


def _is_shield(func: cst.BaseExpression, names: ModuleNames) -> bool:
    return "asyncio.shield" in names.qualified_names(func)


def _shields(item: cst.WithItem) -> bool:
    """`trio.CancelScope(shield=True)`, `anyio.move_on_after(5, shield=True)`."""
    manager = item.item
    return (
        isinstance(manager, cst.Call)
        and (get_full_name_for_node(manager.func) or "").rsplit(".", 1)[-1] in _SHIELDING_SCOPES
        and any(
            arg.keyword is not None
            and arg.keyword.value == "shield"
            and isinstance(arg.value, cst.Name)
            and arg.value.value == "True"
            for arg in manager.args
        )
    )


def cancellable_coroutine(
    try_node: TryNode,
    ancestors: Sequence[cst.CSTNode],
    module: cst.Module,
    path: str | None = None,
) -> cst.FunctionDef | None:
    """The `async def` whose `try` this is, if its body may suspend: `guarded_coroutine`,
    without the awaits that cannot (`await self._reset()` of a method with no await, or
    `await record(...)` of a sibling module's function with none, for the module at `path`)."""
    function = guarded_coroutine(try_node, ancestors)
    if function is None or not suspending(module, function, path).within(try_node.body):
        return None
    return function


def done_before(node: cst.CSTNode, ancestors: Sequence[cst.CSTNode]) -> frozenset[str]:
    """The futures that the statements before `node`, in the block that holds it, leave
    done (see `completed_futures`); `ancestors` nearest first."""
    block = ancestors[0] if ancestors else None
    if not isinstance(block, cst.IndentedBlock | cst.Module):
        return frozenset()
    lines = list(block.body)
    before = next((lines[:i] for i, line in enumerate(lines) if line is node), [])
    return completed_futures(before)


def completed_futures(lines: Sequence[cst.BaseStatement]) -> frozenset[str]:
    """The futures that `lines`, run in order, leave done: `fut.set_result(x)` or
    `fut.set_exception(e)` (which raises unless `fut` was pending), not bound anew after."""
    done: set[str] = set()
    for line in lines:
        done -= bound_names([line])
        if isinstance(line, cst.SimpleStatementLine):
            for small in line.body:
                if (
                    isinstance(small, cst.Expr)
                    and isinstance(small.value, cst.Call)
                    and isinstance(small.value.func, cst.Attribute)
                    and small.value.func.attr.value in _COMPLETERS
                    and (name := dotted_name(small.value.func.value)) is not None
                ):
                    done.add(name)
    return frozenset(done)


# The gates: which functions the rules read for context (see `Rule.is_context`).


def may_never_suspend(coroutines: Sequence[ast.AsyncFunctionDef]) -> bool:
    """Whether one of `coroutines` may never suspend: its only cancellation points are
    awaits of a call by name or of a method (`await self.reset()`), if any. Such a function
    tells a rule judging a caller whether that caller's await is a cancellation point."""
    return any(_awaits_only_plain_calls(coroutine) for coroutine in coroutines)


def _awaits_only_plain_calls(coroutine: ast.AsyncFunctionDef) -> bool:
    pending: list[ast.AST] = list(coroutine.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.AsyncFor | ast.AsyncWith | ast.Yield | ast.YieldFrom):
            return False
        if isinstance(node, ast.comprehension) and node.is_async:
            return False
        if isinstance(node, ast.Await) and not (
            isinstance(node.value, ast.Call)
            and (
                isinstance(node.value.func, ast.Name)
                or (
                    isinstance(node.value.func, ast.Attribute)
                    and isinstance(node.value.func.value, ast.Name)
                )
            )
        ):
            return False
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            pending.extend(ast.iter_child_nodes(node))
    return True


def may_only_run_shielded(function: Function) -> bool:
    """Whether `function` may be a coroutine function that only runs shielded (see
    `Suspensions.only_runs_shielded`): undecorated, with a private name. Whether it is one is
    read in every use of its name in the module."""
    name = function.name
    return (
        isinstance(function, ast.AsyncFunctionDef)
        and not function.decorator_list
        and name.startswith("_")
        and not name.startswith("__")
    )
