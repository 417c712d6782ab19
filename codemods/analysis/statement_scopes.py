"""Scopes of nodes, computed over the top-level statement that holds them.

LibCST's ScopeProvider analyses the whole module, every expression of every function, and
costs several times a rule's visit; a rule asks about the scope of a few nodes (how the code
there spells CancelledError, whether a name is taken). The answer depends on the function
that holds the node, the functions and classes around it, and the names the module binds.
So the scopes are computed over a reduced module: the module's statements without every
other top-level function and class, nor every other method of the class that holds the node;
each definition left out binds its name in its scope all the same, as LibCST's analysis
binds it before reading the definition.

The names bound in each scope are then the whole module's: the code of a definition binds
names only inside it, unless it declares one `global` or binds one with `:=` in a decorator,
a default, an annotation or a base class. A module with either has no reduced scopes: the
rules ask the whole module's (as they do for a node outside the statement they visit).
The names read (accesses) differ: ask the whole module's scopes about them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import cast

import libcst as cst
from libcst.metadata import MetadataWrapper, Scope, ScopeProvider

from codemods.analysis.scope import walk, walk_statements

Scopes = Mapping[cst.CSTNode, Scope | None]

_Definition = cst.FunctionDef | cst.ClassDef


class StatementScopes:
    """The scopes of the nodes of `module`, computed per top-level statement (and method)."""

    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._reducible: bool | None = None
        self._computed: dict[tuple[cst.CSTNode, cst.CSTNode | None], Scopes] = {}
        self._module_scopes: dict[frozenset[str], Scope] = {}
        self._bindable: dict[tuple[cst.CSTNode, cst.CSTNode | None], frozenset[str]] = {}

    def around(self, ancestors: Sequence[cst.CSTNode]) -> Scopes | None:
        """The scopes of the nodes in the statement on the path `ancestors` (outermost first,
        from the module down), as the whole module's scopes give them; None where they
        cannot be computed apart (see the module's docstring)."""
        if not self._reduces(ancestors):
            return None
        statement = ancestors[1]
        member = _member(statement, ancestors[2:])
        key = (statement, member)
        if key not in self._computed:
            self._computed[key] = _scopes(self._module, statement, member)
        return self._computed[key]

    def module_scope(self, ancestors: Sequence[cst.CSTNode], names: frozenset[str]) -> Scope | None:
        """The module's own scope, where the code on the path `ancestors` (as in `around`)
        can only see the module's bindings of `names`: the code around it (the statement,
        or in a class the member and the class's own statements) spells none of them where
        a name may be bound (see `_binding_names`), so binds none in a scope of its own.
        What the scope knows of `names` is then what the node's scope knows, at the cost of
        one analysis of the module's statements that may bind them (see
        `_scope_binding`).
        None where that does not hold, where the module cannot be reduced, or where the
        statement's own scopes are computed already (asking them costs nothing)."""
        if not self._reduces(ancestors):
            return None
        statement = ancestors[1]
        key = (statement, _member(statement, ancestors[2:]))
        if key in self._computed:
            return None
        if key not in self._bindable:
            self._bindable[key] = _binding_names(_seen_from_member(*key))
        if not names.isdisjoint(self._bindable[key]):
            return None
        if names not in self._module_scopes:
            self._module_scopes[names] = _scope_binding(self._module, names)
        return self._module_scopes[names]

    def _reduces(self, ancestors: Sequence[cst.CSTNode]) -> bool:
        if len(ancestors) < 2 or ancestors[0] is not self._module:
            return False
        if self._reducible is None:
            self._reducible = not _binds_outside(self._module)
        return self._reducible


@functools.lru_cache(maxsize=4)  # the rules of a pass ask in turn about the same module
def statement_scopes(module: cst.Module) -> StatementScopes:
    return StatementScopes(module)


def _member(statement: cst.CSTNode, below: Sequence[cst.CSTNode]) -> cst.CSTNode | None:
    """The method (or nested class) of the class `statement` that `below` (the path under
    it) goes through; None when there is none."""
    if not isinstance(statement, cst.ClassDef) or len(below) < 2 or below[0] is not statement.body:
        return None
    return below[1] if isinstance(below[1], _Definition) else None


def _scopes(module: cst.Module, statement: cst.CSTNode, member: cst.CSTNode | None) -> Scopes:
    """The scopes of a reduced `module`: without its top-level definitions but `statement`
    and, in `statement`, if a class, without its methods and nested classes but `member`.
    Each definition left out binds its name all the same, as LibCST's scope analysis binds
    it before it reads the definition. The nodes kept are the module's own (not copies), so
    the scopes map them."""
    body = [
        node if node is statement else _without_values(node)
        for node in module.body
        if node is statement or not isinstance(node, _Definition)
    ]
    left_out = [
        node for node in module.body if node is not statement and isinstance(node, _Definition)
    ]
    kept, class_left_out = _without_members(statement, member)
    reduced = module.with_changes(body=[kept if node is statement else node for node in body])
    scopes = MetadataWrapper(reduced, unsafe_skip_copy=True).resolve(ScopeProvider)
    _bind(scopes[reduced], left_out)
    if isinstance(kept, cst.ClassDef) and isinstance(kept.body, cst.IndentedBlock):
        _bind(scopes[kept.body.body[0]], class_left_out)
    return scopes


def _seen_from_member(statement: cst.CSTNode, member: cst.CSTNode | None) -> list[cst.CSTNode]:
    """The code whose bindings code in `member` of the class `statement` may see: the member
    and the class's statements that are no definitions (the other members bind names in
    scopes of their own); the whole `statement` without a member."""
    if member is None:
        return [statement]
    assert isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock)
    return [member, *(node for node in statement.body.body if not isinstance(node, _Definition))]


def _binding_names(code: Sequence[cst.CSTNode]) -> frozenset[str]:
    """Every name spelled, anywhere in `code`, in a part that may bind one: assignment,
    loop and `:=` targets, `as` names, `del`, imports, `global` and `nonlocal`, the names of
    definitions, parameters and type parameters, `match` patterns (more than it binds)."""
    parts: list[cst.CSTNode] = []
    for node in (node for root in code for node in walk(root)):
        kind = type(node)
        if kind in _TARGETS:
            parts.append(cast(_Targeted, node).target)
        elif kind in _NAMED:
            parts.append(cast(_Named, node).name)
        elif kind is cst.MatchCase:
            parts.append(cast(cst.MatchCase, node).pattern)
        elif kind in _BINDING_STATEMENTS:
            parts.append(node)
    return frozenset(node.value for part in parts for node in walk(part) if type(node) is cst.Name)


# Compared by type: every node of the code is tested, node classes are ABCs (`isinstance`
# against them is slow), and these have no subclasses.
_TARGETS = frozenset(
    (cst.AssignTarget, cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr, cst.Del)
)
_Targeted = (
    cst.AssignTarget
    | cst.AnnAssign
    | cst.AugAssign
    | cst.For
    | cst.CompFor
    | cst.NamedExpr
    | cst.Del
)
_NAMED = frozenset((cst.AsName, cst.FunctionDef, cst.ClassDef, cst.Param, cst.TypeAlias))
_Named = cst.AsName | cst.FunctionDef | cst.ClassDef | cst.Param | cst.TypeAlias
_BINDING_STATEMENTS = frozenset(
    (cst.Import, cst.ImportFrom, cst.Global, cst.Nonlocal, cst.TypeParam)
)


def _scope_binding(module: cst.Module, names: frozenset[str]) -> Scope:
    """The scope of `module` reduced to its statements that may bind one of `names` (see
    `_binding_names`), not its definitions, each of which binds its name all the same: what
    it knows of `names` (whether each is bound, to what, its qualified names) is the whole
    module's, as a name is bound only where it is spelled."""
    body = [
        _without_values(node)
        for node in module.body
        if not isinstance(node, _Definition) and not names.isdisjoint(_binding_names([node]))
    ]
    reduced = module.with_changes(body=body)
    scope = MetadataWrapper(reduced, unsafe_skip_copy=True).resolve(ScopeProvider)[reduced]
    assert scope is not None
    _bind(scope, [node for node in module.body if isinstance(node, _Definition)])
    return scope


def _without_values(statement: cst.BaseStatement) -> cst.BaseStatement:
    """A top-level line of simple statements without the values it assigns or evaluates
    (`None` in their place) where no `:=` binds a name in them: the same names bound, at a
    fraction of the analysis' cost (a module's tables of entity descriptions, its schemas).
    What a value reads is not in the reduced scopes anyway (see the module's docstring)."""
    if not isinstance(statement, cst.SimpleStatementLine):
        return statement
    return statement.with_changes(body=[_without_value(small) for small in statement.body])


def _without_value(small: cst.BaseSmallStatement) -> cst.BaseSmallStatement:
    if not isinstance(small, cst.Assign | cst.AnnAssign | cst.AugAssign | cst.Expr):
        return small
    value = small.value
    if value is None or any(isinstance(node, cst.NamedExpr) for node in walk(value)):
        return small
    return small.with_changes(value=_NONE)


_NONE = cst.Name("None")


def _without_members(
    statement: cst.CSTNode, member: cst.CSTNode | None
) -> tuple[cst.CSTNode, list[_Definition]]:
    """`statement`, if a class, without its methods and nested classes but `member`; and
    those left out."""
    if not isinstance(statement, cst.ClassDef) or not isinstance(statement.body, cst.IndentedBlock):
        return statement, []
    members = statement.body.body
    kept = [node for node in members if node is member or not isinstance(node, _Definition)]
    left_out = [node for node in members if isinstance(node, _Definition) and node is not member]
    if not left_out:
        return statement, []
    body = statement.body.with_changes(body=kept or [cst.SimpleStatementLine([cst.Pass()])])
    return statement.with_changes(body=body), left_out


def _bind(scope: Scope | None, definitions: list[_Definition]) -> None:
    assert scope is not None
    for definition in definitions:
        scope.record_assignment(definition.name.value, definition)


def _binds_outside(module: cst.Module) -> bool:
    """Whether code of `module` binds a name outside the definition it stands in: a `global`
    statement anywhere, or `:=` in the header of a function or class."""
    return any(
        isinstance(node, cst.Global)
        or (
            isinstance(node, _Definition)
            and any(isinstance(part, cst.NamedExpr) for part in _header_nodes(node))
        )
        for node in walk_statements(module)
    )


def _header_nodes(definition: _Definition) -> Iterator[cst.CSTNode]:
    """The nodes of a definition's decorators, parameters, annotations and base classes."""
    parts: list[cst.CSTNode | None] = [*definition.decorators, definition.type_parameters]
    if isinstance(definition, cst.FunctionDef):
        parts += [definition.params, definition.returns]
    else:
        parts += [*definition.bases, *definition.keywords]
    for part in parts:
        if part is not None:
            yield from walk(part)
