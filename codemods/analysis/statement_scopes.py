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
a default, an annotation or a base class. Such a definition (a top-level one, or a member
of a top-level class: see `_outside_binders`) is kept in every reduced module, so that the
analysis binds what it binds outside as the whole module's does, with the same nodes; a
class so kept keeps only those of its members, and its statements. The names read
(accesses) differ: ask the whole module's scopes about them.
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
        self._binders: frozenset[cst.CSTNode] | None = None
        self._computed: dict[tuple[cst.CSTNode, cst.CSTNode | None], Scopes] = {}
        self._module_scopes: dict[frozenset[str], Scope] = {}
        self._bindable: dict[tuple[cst.CSTNode, cst.CSTNode | None], frozenset[str]] = {}
        self._binding: list[_Binding] | None = None

    def around(self, ancestors: Sequence[cst.CSTNode]) -> Scopes | None:
        """The scopes of the nodes in the statement on the path `ancestors` (outermost first,
        from the module down), as the whole module's scopes give them; None for a path that
        does not start at the module and go through one of its statements."""
        if not self._reduces(ancestors):
            return None
        statement = ancestors[1]
        member = _member(statement, ancestors[2:])
        key = (statement, member)
        if key not in self._computed:
            self._computed[key] = _scopes(self._module, statement, member, self._outside_binders())
        return self._computed[key]

    def module_scope(self, ancestors: Sequence[cst.CSTNode], names: frozenset[str]) -> Scope | None:
        """The module's own scope, where the code on the path `ancestors` (as in `around`)
        can only see the module's bindings of `names`: the code around it spells none of
        them where a name may be bound (see `_names_seen_bound`), so binds none in a scope
        of its own.
        What the scope knows of `names` is then what the node's scope knows, at the cost of
        one analysis of the module's statements that may bind them (see
        `_scope_binding`).
        None where that does not hold, for a path `around` takes no answer for, or where
        the statement's own scopes are computed already (asking them costs nothing)."""
        if not self._reduces(ancestors):
            return None
        statement = ancestors[1]
        key = (statement, _member(statement, ancestors[2:]))
        if key in self._computed:
            return None
        if key not in self._bindable:
            self._bindable[key] = _names_seen_bound(*key)
        if not names.isdisjoint(self._bindable[key]):
            return None
        if names not in self._module_scopes:
            if self._binding is None:
                self._binding = _binding_statements(self._module, self._outside_binders())
            self._module_scopes[names] = _scope_binding(self._module, names, self._binding)
        return self._module_scopes[names]

    def _reduces(self, ancestors: Sequence[cst.CSTNode]) -> bool:
        return len(ancestors) >= 2 and ancestors[0] is self._module

    def _outside_binders(self) -> frozenset[cst.CSTNode]:
        if self._binders is None:
            self._binders = _outside_binders(self._module)
        return self._binders


@functools.lru_cache(maxsize=4)  # the rules of a pass ask in turn about the same module
def statement_scopes(module: cst.Module) -> StatementScopes:
    return StatementScopes(module)


def _member(statement: cst.CSTNode, below: Sequence[cst.CSTNode]) -> cst.CSTNode | None:
    """The method (or nested class) of the class `statement` that `below` (the path under
    it) goes through; None when there is none."""
    if not isinstance(statement, cst.ClassDef) or len(below) < 2 or below[0] is not statement.body:
        return None
    return below[1] if isinstance(below[1], _Definition) else None


def _scopes(
    module: cst.Module,
    statement: cst.CSTNode,
    member: cst.CSTNode | None,
    binders: frozenset[cst.CSTNode],
) -> Scopes:
    """The scopes of a reduced `module`: without its top-level definitions but `statement`
    and the `binders` (see `_outside_binders`) and, in a class kept, without its methods and
    nested classes but `member` and the binders. Each definition left out binds its name all
    the same, as LibCST's scope analysis binds it before it reads the definition. The nodes
    kept are the module's own (not copies), so the scopes map them."""
    body: list[cst.BaseStatement] = []
    left_out: list[_Definition] = []
    trimmed: list[tuple[cst.ClassDef, list[_Definition]]] = []
    for node in module.body:
        if node is statement or node in binders:
            kept, members_left_out = _without_members(node, frozenset({member, *binders}))
            body.append(kept)
            if members_left_out:
                assert isinstance(kept, cst.ClassDef)
                trimmed.append((kept, members_left_out))
        elif isinstance(node, _Definition):
            left_out.append(node)
        else:
            body.append(_without_values(node))
    reduced = module.with_changes(body=body)
    scopes = MetadataWrapper(reduced, unsafe_skip_copy=True).resolve(ScopeProvider)
    _bind(scopes[reduced], left_out)
    for kept_class, members_left_out in trimmed:
        assert isinstance(kept_class.body, cst.IndentedBlock)
        _bind(scopes[kept_class.body.body[0]], members_left_out)
    return scopes


def _names_seen_bound(statement: cst.CSTNode, member: cst.CSTNode | None) -> frozenset[str]:
    """The names that code in `member` of the class `statement` (in the whole `statement`,
    without a member) may see bound in a scope other than the module's (see
    `_binding_names`): those the member binds, those the class's statements bind, and the
    names of the other members and what their headers bind, all of which the class's scope
    holds (which the member's own header sees; its body does not)."""
    if member is None:
        return _binding_names([statement])
    assert isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock)
    members = statement.body.body
    others = [node for node in members if isinstance(node, _Definition) and node is not member]
    code = [
        member,
        *(node for node in members if not isinstance(node, _Definition)),
        *(part for other in others for part in _header_parts(other)),
    ]
    return _binding_names(code) | {other.name.value for other in others}


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


_Binding = tuple[cst.BaseStatement, frozenset[str] | None]


def _binding_statements(module: cst.Module, binders: frozenset[cst.CSTNode]) -> list[_Binding]:
    """Each top-level statement of `module` as `_scope_binding` keeps it, with the names it
    may bind (see `_binding_names`); None for a definition, which it leaves out, but for the
    `binders` (see `_outside_binders`), each class with only its binders."""
    statements: list[_Binding] = []
    for node in module.body:
        if node in binders:
            kept, _ = _without_members(node, binders)
            statements.append((kept, _binding_names([kept])))
        elif isinstance(node, _Definition):
            statements.append((node, None))
        else:
            statements.append((_without_values(node), _binding_names([node])))
    return statements


def _scope_binding(module: cst.Module, names: frozenset[str], binding: list[_Binding]) -> Scope:
    """The scope of `module` reduced to its statements that may bind one of `names` (see
    `_binding_statements`): not its definitions, each of which binds its name all the same.
    What it knows of `names` (whether each is bound, to what, its qualified names) is the
    whole module's, as a name is bound only where it is spelled."""
    body: list[cst.BaseStatement] = []
    left_out: list[_Definition] = []
    for node, (kept, bound) in zip(module.body, binding, strict=True):
        if bound is not None and not names.isdisjoint(bound):
            body.append(kept)
        elif isinstance(node, _Definition):
            left_out.append(node)
    reduced = module.with_changes(body=body)
    scope = MetadataWrapper(reduced, unsafe_skip_copy=True).resolve(ScopeProvider)[reduced]
    assert scope is not None
    _bind(scope, left_out)
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
    statement: cst.BaseStatement, members: frozenset[cst.CSTNode | None]
) -> tuple[cst.BaseStatement, list[_Definition]]:
    """`statement`, if a class, without its methods and nested classes but `members`; and
    those left out."""
    if not isinstance(statement, cst.ClassDef) or not isinstance(statement.body, cst.IndentedBlock):
        return statement, []
    body = statement.body.body
    kept = [node for node in body if node in members or not isinstance(node, _Definition)]
    left_out = [node for node in body if isinstance(node, _Definition) and node not in members]
    if not left_out:
        return statement, []
    block = statement.body.with_changes(body=kept or [cst.SimpleStatementLine([cst.Pass()])])
    return statement.with_changes(body=block), left_out


def _bind(scope: Scope | None, definitions: list[_Definition]) -> None:
    assert scope is not None
    for definition in definitions:
        scope.record_assignment(definition.name.value, definition)


def _outside_binders(module: cst.Module) -> frozenset[cst.CSTNode]:
    """The top-level definitions of `module`, and the members of its top-level classes, that
    may bind a name outside themselves (see `_binds_outside`): a class binds what its
    members and its own statements bind in the module's scope."""
    binders: set[cst.CSTNode] = set()
    for statement in module.body:
        if not isinstance(statement, _Definition) or not _binds_outside(statement):
            continue
        binders.add(statement)
        if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
            members = statement.body.body
            binders.update(
                node for node in members if isinstance(node, _Definition) and _binds_outside(node)
            )
    return frozenset(binders)


def _binds_outside(definition: _Definition) -> bool:
    """Whether code of `definition` may bind a name outside it: a `global` statement
    anywhere in it, or `:=` in the header of a function or class (itself included), which
    binds in the scope around that definition."""
    return any(
        isinstance(node, cst.Global)
        or (
            isinstance(node, _Definition)
            and any(isinstance(part, cst.NamedExpr) for part in _header_nodes(node))
        )
        for node in walk_statements(definition)
    )


def _header_nodes(definition: _Definition) -> Iterator[cst.CSTNode]:
    """The nodes of a definition's decorators, parameters, annotations and base classes."""
    for part in _header_parts(definition):
        yield from walk(part)


def _header_parts(definition: _Definition) -> list[cst.CSTNode]:
    """A definition's decorators, type parameters, parameters, return annotation, base
    classes and keywords."""
    parts: list[cst.CSTNode | None] = [*definition.decorators, definition.type_parameters]
    if isinstance(definition, cst.FunctionDef):
        parts += [definition.params, definition.returns]
    else:
        parts += [*definition.bases, *definition.keywords]
    return [part for part in parts if part is not None]
