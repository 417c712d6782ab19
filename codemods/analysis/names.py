"""Which exception expressions mean cancellation or "everything", resolved through imports."""

from __future__ import annotations

import builtins
import enum
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import Scope

from codemods.analysis.scope import children, walk_statements

CANCELLATION_CLASSES = frozenset(
    {"asyncio.CancelledError", "asyncio.exceptions.CancelledError", "trio.Cancelled"}
)
CANCELLATION_FACTORIES = frozenset({"anyio.get_cancelled_exc_class"})
"""Calls that return the cancellation class (anyio's backend-neutral spelling)."""

_BUILTINS = frozenset(dir(builtins))


@dataclass(frozen=True)
class ModuleNames:
    """Resolves names through the module's imports to what they may stand for, as LibCST's
    QualifiedNameProvider does (`aio.CancelledError` after `import asyncio as aio` is
    `asyncio.CancelledError`, an unbound `BaseException` is `builtins.BaseException`), at a
    fraction of its cost: it reads the statements that bind names, not every expression.

    Bindings count module-wide rather than per scope (a name imported in one function and
    assigned in another stands for both, as after a conditional import), and names bound
    only inside expressions (`:=`, comprehensions, lambdas) are not seen.
    """

    imported: dict[str, set[str]]
    """Each name an import binds, with what it imports: `aio` -> {"asyncio"}."""
    bound: set[str]
    """Names bound otherwise: assigned, defined, parameters, `except ... as`, match captures."""

    @classmethod
    def of(cls, module: cst.Module) -> ModuleNames:
        names = cls({}, set())
        for node in _binding_nodes(module):
            if type(node) is cst.Import or type(node) is cst.ImportFrom:
                names._add_import(node)
            else:
                names.bound.update(_bound_names(node))
        return names

    def _add_import(self, node: cst.Import | cst.ImportFrom) -> None:
        if isinstance(node, cst.Import):
            for alias in node.names:
                imported = alias.evaluated_name
                if alias.evaluated_alias:
                    self.imported.setdefault(alias.evaluated_alias, set()).add(imported)
                else:
                    root = imported.split(".")[0]
                    self.imported.setdefault(root, set()).add(root)
            return
        if isinstance(node.names, cst.ImportStar):
            return
        module = get_full_name_for_node(node.module) if node.module is not None else None
        source = "." * len(node.relative) + (module or "")
        separator = "" if source.endswith(".") else "."
        for alias in node.names:
            bound = alias.evaluated_alias or alias.evaluated_name
            self.imported.setdefault(bound, set()).add(f"{source}{separator}{alias.evaluated_name}")

    def qualified_names(self, node: cst.CSTNode) -> set[str]:
        """What the name or attribute chain `node` may stand for; empty for anything else."""
        dotted = (
            get_full_name_for_node(node) if isinstance(node, cst.Name | cst.Attribute) else None
        )
        if dotted is None:
            return set()
        head, _, rest = dotted.partition(".")
        found = {name + ("." + rest if rest else "") for name in self.imported.get(head, ())}
        if head in self.bound:
            found.add(dotted)
        if not found and head in _BUILTINS:
            found.add(f"builtins.{dotted}")
        return found


@functools.lru_cache(maxsize=2)  # the rules ask in turn about the same module
def module_names(module: cst.Module) -> ModuleNames:
    return ModuleNames.of(module)


def _binding_nodes(module: cst.Module) -> Iterator[cst.CSTNode]:
    """The statements, small statements, clauses and parameters of the module: all that
    binds names, except inside expressions."""
    # (Tested by type, as every statement is: these classes have no subclasses, and
    # `isinstance` against node classes, which are ABCs, is slow.)
    for node in walk_statements(module):
        yield node
        if type(node) is cst.FunctionDef:
            params = node.params
            yield from (*params.posonly_params, *params.params, *params.kwonly_params)
            yield from (p for p in (params.star_arg, params.star_kwarg) if isinstance(p, cst.Param))
        elif type(node) is cst.With:
            yield from node.items


def _bound_names(node: cst.CSTNode) -> Iterator[str]:
    """The names a statement-level node binds (not those bound inside expressions)."""
    kind = type(node)  # (by type, as in `_binding_nodes`)
    if kind not in _BINDERS:
        return
    targets: list[cst.CSTNode] = []
    if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Param):
        yield node.name.value
    elif isinstance(node, cst.Assign):
        targets = [target.target for target in node.targets]
    elif isinstance(node, cst.AnnAssign | cst.AugAssign | cst.For):
        targets = [node.target]
    elif isinstance(node, cst.WithItem) and node.asname is not None:
        targets = [node.asname.name]
    elif isinstance(node, cst.ExceptHandler | cst.ExceptStarHandler) and node.name is not None:
        targets = [node.name.name]
    elif isinstance(node, cst.MatchCase):
        targets = [node.pattern]
    while targets:
        target = targets.pop()
        if isinstance(target, cst.Name):
            yield target.value
        elif isinstance(target, cst.MatchAs | cst.MatchStar) and target.name is not None:
            yield target.name.value
        elif isinstance(target, cst.MatchMapping) and target.rest is not None:
            yield target.rest.value
        if not isinstance(target, cst.Attribute | cst.Subscript | cst.Call):
            targets.extend(children(target))


_BINDERS = frozenset(
    {cst.FunctionDef, cst.ClassDef, cst.Param, cst.Assign, cst.AnnAssign, cst.AugAssign}
    | {cst.For, cst.WithItem, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase}
)
"""The statement-level nodes that bind names, the only ones `_bound_names` reads."""


def handler_types(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> list[cst.BaseExpression]:
    """The exception expressions a handler names, with tuples (nested or PEP 758) flattened."""
    if handler.type is None:
        return []
    pending = [handler.type]
    found: list[cst.BaseExpression] = []
    while pending:
        expr = pending.pop(0)
        if isinstance(expr, cst.Tuple):
            pending[:0] = [element.value for element in expr.elements]
        else:
            found.append(expr)
    return found


@dataclass(frozen=True)
class Caught:
    """What one handler catches, as far as cancellation is concerned."""

    bare: bool
    broad: tuple[cst.BaseExpression, ...]
    cancellation: tuple[cst.BaseExpression, ...]
    others: tuple[cst.BaseExpression, ...]

    @property
    def is_broad(self) -> bool:
        return self.bare or bool(self.broad)

    @property
    def catches_cancellation(self) -> bool:
        return self.is_broad or bool(self.cancellation)


@dataclass(frozen=True)
class ExceptionNames:
    """Classifies exception expressions, resolved through the module's names."""

    module_names: ModuleNames
    target_version: tuple[int, int]

    def names_of(self, node: cst.CSTNode) -> set[str]:
        """The fully qualified names `node` may refer to (`asyncio.CancelledError`, ...)."""
        return self.module_names.qualified_names(node)

    def is_cancellation(self, expr: cst.BaseExpression) -> bool:
        """A handler type meaning cancellation: `asyncio.CancelledError`, `trio.Cancelled`,
        `anyio.get_cancelled_exc_class()`, in whatever spelling the imports give them."""
        if isinstance(expr, cst.Call):
            return not self.names_of(expr.func).isdisjoint(CANCELLATION_FACTORIES)
        return not self.names_of(expr).isdisjoint(CANCELLATION_CLASSES)

    def raises_cancellation(self, exc: cst.BaseExpression) -> bool:
        """`raise X` or `raise X(...)` where X is a cancellation class."""
        return self.is_cancellation(exc.func if isinstance(exc, cst.Call) else exc)

    def is_broad(self, expr: cst.BaseExpression) -> bool:
        """`BaseException`, and `Exception` where CancelledError still derived from it (3.7)."""
        names = self.names_of(expr)
        return "builtins.BaseException" in names or (
            self.target_version < (3, 8) and "builtins.Exception" in names
        )

    def is_instance_of(self, expr: cst.BaseExpression) -> bool | None:
        """Whether a CancelledError is an instance of class `expr`; None when unknown."""
        if self.is_broad(expr) or self.is_cancellation(expr):
            return True
        names = self.names_of(expr)
        if any(name.startswith(("builtins.", "asyncio.")) for name in names):
            # Exception (since 3.8), its builtin subclasses, and asyncio's other errors
            # (`asyncio.TimeoutError`, `asyncio.IncompleteReadError`): none is a base of it.
            return False
        return None

    def suppressed(self, manager: cst.BaseExpression) -> Sequence[cst.Arg] | None:
        """The arguments of a `contextlib.suppress(...)` context manager (the exceptions it
        ignores); None for any other context manager."""
        if isinstance(manager, cst.Call) and "contextlib.suppress" in self.names_of(manager.func):
            return manager.args
        return None

    def suppresses_cancellation(self, manager: cst.BaseExpression) -> bool:
        """`suppress(...)` naming `BaseException` or a cancellation class."""
        return any(
            self.is_broad(arg.value) or self.is_cancellation(arg.value)
            for arg in self.suppressed(manager) or ()
            if arg.star == ""
        )

    def caught(self, handler: cst.ExceptHandler | cst.ExceptStarHandler) -> Caught:
        broad, cancellation, others = [], [], []
        for expr in handler_types(handler):
            if self.is_broad(expr):
                broad.append(expr)
            elif self.is_cancellation(expr):
                cancellation.append(expr)
            else:
                others.append(expr)
        return Caught(handler.type is None, tuple(broad), tuple(cancellation), tuple(others))


class Framework(enum.Enum):
    """The library a module's coroutines run on; it decides the cancellation spelling."""

    ASYNCIO = ("asyncio", "CancelledError", "asyncio.CancelledError")
    TRIO = ("trio", "Cancelled", "trio.Cancelled")
    ANYIO = ("anyio", "get_cancelled_exc_class", "anyio.get_cancelled_exc_class")

    def __init__(self, module: str, member: str, qualified: str) -> None:
        self.module = module
        self.member = member
        self.qualified = qualified

    @property
    def is_factory(self) -> bool:
        return self is Framework.ANYIO


def _imports(module: cst.Module) -> Iterator[cst.Import | cst.ImportFrom]:
    """Every import statement in the module (statements hold them: the walk reads no
    expression, parameter or whitespace)."""
    return (
        node for node in _binding_nodes(module) if isinstance(node, cst.Import | cst.ImportFrom)
    )


def _root_module(name: str) -> str:
    return name.split(".")[0]


def imported_roots(node: cst.Import | cst.ImportFrom) -> set[str]:
    """The top-level packages an import statement imports from (`import a.b, c`: a and c;
    `from a.b import x`: a); none for a relative import, which names the module's own."""
    if isinstance(node, cst.Import):
        return {_root_module(alias.evaluated_name) for alias in node.names}
    if node.module is None or node.relative:
        return set()
    return {_root_module(get_full_name_for_node(node.module) or "")}


@functools.lru_cache(maxsize=4)
def framework_of(module: cst.Module) -> Framework:
    """asyncio wherever a module imports it or nothing else; trio or anyio only without it.

    Each finding with a fix asks for its module's framework, and the answer needs a walk of
    the whole module: it is remembered for the few latest modules (nodes hash by identity,
    and a changed tree is a new module)."""
    imported = {root for node in _imports(module) for root in imported_roots(node)}
    for framework in Framework:
        if framework.module in imported:
            return framework
    return Framework.ASYNCIO


def _top_level_imports(module: cst.Module) -> Iterator[cst.Import | cst.ImportFrom]:
    """Imports that certainly run: module level, not under `if TYPE_CHECKING:` or any block."""
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from (s for s in statement.body if isinstance(s, cst.Import | cst.ImportFrom))


def _candidate_spellings(module: cst.Module, framework: Framework) -> Iterator[str]:
    """Dotted names that the module's unconditional imports let it write for the exception."""
    for node in _top_level_imports(module):
        if isinstance(node, cst.Import):
            for alias in node.names:
                name = alias.evaluated_name
                if _root_module(name) == framework.module:
                    bound = alias.evaluated_alias or _root_module(name)
                    yield f"{bound}.{framework.member}"
        elif not isinstance(node.names, cst.ImportStar) and not node.relative and node.module:
            source = get_full_name_for_node(node.module)
            for alias in node.names:
                bound = alias.evaluated_alias or alias.evaluated_name
                if alias.evaluated_name == framework.member:
                    yield bound
                elif f"{source}.{alias.evaluated_name}" == f"{framework.module}.exceptions":
                    yield f"{bound}.{framework.member}"


@dataclass(frozen=True)
class Spelling:
    """How to write the cancellation exception at one place, and the import it needs."""

    expression: cst.BaseExpression
    needs_import: str | None


def cancellation_spelling(module: cst.Module, scope: Scope) -> Spelling | None:
    """The way this module spells the cancellation exception, valid in `scope`.

    Falls back to `import <framework>` plus the qualified name; None when that name is taken
    in `scope` by something else (a local variable called `asyncio`, an import that may not
    run, such as one under `if TYPE_CHECKING:`).
    """
    framework = framework_of(module)
    accepted = CANCELLATION_CLASSES | CANCELLATION_FACTORIES
    for dotted in _candidate_spellings(module, framework):
        resolved = {qualified.name for qualified in scope.get_qualified_names_for(dotted)}
        if resolved & accepted:
            return Spelling(_spelled(dotted, framework), None)
    if framework.module in scope:
        return None
    return Spelling(_spelled(framework.qualified, framework), framework.module)


def cancellation_spelling_names(module: cst.Module) -> frozenset[str]:
    """The names whose bindings in a scope decide `cancellation_spelling` there."""
    framework = framework_of(module)
    roots = {dotted.split(".")[0] for dotted in _candidate_spellings(module, framework)}
    return frozenset({*roots, framework.module})


def _spelled(dotted: str, framework: Framework) -> cst.BaseExpression:
    expression = cst.parse_expression(dotted)
    return cst.Call(func=expression) if framework.is_factory else expression


def module_spelling_names(module: cst.Module, name: str) -> frozenset[str]:
    """The names whose bindings in a scope decide `module_spelling` of module `name` there:
    `name`, and those an unconditional `import` of it binds."""
    bound = {
        alias.evaluated_alias or _root_module(alias.evaluated_name)
        for node in _top_level_imports(module)
        if isinstance(node, cst.Import)
        for alias in node.names
        if (alias.evaluated_name if alias.evaluated_alias else _root_module(alias.evaluated_name))
        == name
    }
    return frozenset({*bound, name})


def module_spelling(module: cst.Module, scope: Scope, name: str) -> Spelling | None:
    """How code in `scope` refers to module `name`: the name an unconditional `import asyncio`
    (or `import asyncio as aio`) binds, else `name` with the import it needs; None when `name`
    is taken in `scope` by something else."""
    for node in _top_level_imports(module):
        if not isinstance(node, cst.Import):
            continue
        for alias in node.names:
            imported = alias.evaluated_name
            bound = alias.evaluated_alias if alias.evaluated_alias else _root_module(imported)
            target = imported if alias.evaluated_alias else _root_module(imported)
            if target != name:
                continue
            resolved = {qualified.name for qualified in scope.get_qualified_names_for(bound)}
            if name in resolved:
                return Spelling(cst.Name(bound), None)
    if name in scope:
        return None
    return Spelling(cst.Name(name), name)
