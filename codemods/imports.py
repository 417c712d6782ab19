"""Module-level import edits that leave a module the way isort, ruff and black keep it.

A fix that needs `import asyncio` gets it in sorted position among the standard-library
imports (isort's sections: `__future__`, standard library, third party, first party, local),
with the blank lines a formatter expects; an import that a fix leaves unused is removed; a
module-level definition (CF303's set of tasks) goes after the whole import section, `try:` and
`if TYPE_CHECKING:` import blocks included.

This replaces LibCST's `AddImportsVisitor` and `RemoveImportsVisitor`, which copy the whole
module and compute its scopes again for each edit: here an edit reads only the module's
top-level statements, and removal asks the scopes the rule's analysis already computed.
"""

from __future__ import annotations

import enum
import itertools
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import GlobalScope, ImportAssignment, Scope

from codemods.analysis.scope import walk

ImportLine = cst.SimpleStatementLine
"""A top-level line of imports only."""
Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement
"""What a module's body holds."""


class Section(enum.IntEnum):
    """isort's sections, in their order. First-party code cannot be told from third-party code
    without the project's configuration: both are OTHER, and placement goes by the blocks
    (runs of import lines without a blank line) the module already has."""

    FUTURE = 0
    STANDARD_LIBRARY = 1
    OTHER = 2
    LOCAL = 3


def section_of(module_name: str, relative: bool = False) -> Section:
    root = module_name.partition(".")[0]
    if relative:
        return Section.LOCAL
    if root == "__future__":
        return Section.FUTURE
    return Section.STANDARD_LIBRARY if root in sys.stdlib_module_names else Section.OTHER


@dataclass(frozen=True)
class _Entry:
    """A top-level import line, as isort orders it."""

    index: int
    """Its place in the module's body."""
    section: Section
    module: str
    """The module it imports (the first one, for `import a, b`)."""
    straight: bool
    """`import x` rather than `from x import y`."""
    alias: str = ""
    """`import x as alias`: after a plain `import x`."""

    @property
    def key(self) -> tuple[str, str, str]:
        return self.module.lower(), self.module, self.alias


def _entry(index: int, line: cst.BaseStatement) -> _Entry | None:
    if not isinstance(line, cst.SimpleStatementLine):
        return None
    first = line.body[0]
    if not all(isinstance(small, cst.Import | cst.ImportFrom) for small in line.body):
        return None
    if isinstance(first, cst.Import):
        alias = first.names[0]
        name = alias.evaluated_name
        return _Entry(index, section_of(name), name, True, alias.evaluated_alias or "")
    assert isinstance(first, cst.ImportFrom)
    name = (get_full_name_for_node(first.module) if first.module is not None else None) or ""
    return _Entry(index, section_of(name, bool(first.relative)), name, straight=False)


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _first_after_docstring(body: Sequence[Statement]) -> int:
    return 1 if body and _is_docstring(body[0]) else 0


def _has_imports(statement: cst.BaseStatement) -> bool:
    """An import line, or an `if`/`try` block that imports (`if TYPE_CHECKING:`, `try: import
    x / except ImportError: x = None`), at any depth of such blocks."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body)
    if isinstance(statement, cst.If | cst.Try):
        return any(_has_imports(line) for line in _block_lines(statement))
    return False


def _block_lines(statement: cst.If | cst.Try) -> Iterator[cst.BaseStatement]:
    suites: list[cst.BaseSuite] = [statement.body]
    if isinstance(statement, cst.Try):
        suites += [handler.body for handler in statement.handlers]
        suites += [part.body for part in (statement.orelse, statement.finalbody) if part]
    elif statement.orelse is not None:
        orelse = statement.orelse
        if isinstance(orelse, cst.If):
            yield orelse
        else:
            suites.append(orelse.body)
    for suite in suites:
        if isinstance(suite, cst.IndentedBlock):
            yield from suite.body


def _import_section(body: Sequence[Statement]) -> list[_Entry]:
    """The import lines of the module's leading import section (after its docstring, up to the
    first statement that is neither an import line nor a block of imports)."""
    entries = []
    for index in range(_first_after_docstring(body), len(body)):
        entry = _entry(index, body[index])
        if entry is None and not _has_imports(body[index]):
            break
        if entry is not None:
            entries.append(entry)
    return entries


def _blank() -> cst.EmptyLine:
    return cst.EmptyLine()


def _blank_prefix(lines: Sequence[cst.EmptyLine]) -> int:
    count = 0
    for line in lines:
        if line.comment is not None:
            break
        count += 1
    return count


def _separated(statement: Statement, blank_lines: int) -> Statement:
    """`statement` with at least `blank_lines` blank lines above it (above its comments)."""
    lines = statement.leading_lines
    missing = blank_lines - _blank_prefix(lines)
    if missing <= 0:
        return statement
    return statement.with_changes(leading_lines=[*[_blank()] * missing, *lines])


def blank_lines_before(statement: cst.BaseStatement) -> int:
    """The blank lines a formatter puts between an import section (or a module-level
    statement) and `statement`: two before a function or class, else one."""
    return 2 if isinstance(statement, cst.FunctionDef | cst.ClassDef) else 1


def blank_lines_after(statement: cst.BaseStatement) -> int:
    """The blank lines a formatter puts after a module-level statement: two after a function
    or class, or a block that ends with one (`if sys.version_info >= ...: def ...`), else one."""
    last = statement
    while not isinstance(last, cst.FunctionDef | cst.ClassDef):
        suite = _last_suite(last)
        if not isinstance(suite, cst.IndentedBlock) or not suite.body:
            return 1
        last = suite.body[-1]
    return 2


def _last_suite(statement: cst.BaseStatement) -> cst.BaseSuite | None:
    """The block a compound statement ends with (`else`, `finally`, the last handler...)."""
    if isinstance(statement, cst.If):
        if isinstance(statement.orelse, cst.If):
            return _last_suite(statement.orelse)
        return (statement.orelse or statement).body
    if isinstance(statement, cst.Try | cst.TryStar):
        if statement.finalbody or statement.orelse:
            return (statement.finalbody or statement.orelse or statement).body
        return statement.handlers[-1].body if statement.handlers else statement.body
    if isinstance(statement, cst.For | cst.While):
        return (statement.orelse or statement).body
    if isinstance(statement, cst.With):
        return statement.body
    if isinstance(statement, cst.Match):
        return statement.cases[-1].body
    return None


def imports_module(module: cst.Module, name: str) -> bool:
    """Whether a top-level `import name` (not under `if` or `try`, not aliased) binds it."""
    return any(
        isinstance(small, cst.Import)
        and any(a.evaluated_name == name and a.asname is None for a in small.names)
        for line in module.body
        if isinstance(line, cst.SimpleStatementLine)
        for small in line.body
    )


def add_import(module: cst.Module, name: str) -> cst.Module:
    """The module with `import name` in its sorted place, unless it is there already."""
    if imports_module(module, name):
        return module
    body = list(module.body)
    entries = _import_section(body)
    line = cst.SimpleStatementLine(body=[cst.Import(names=[cst.ImportAlias(cst.Name(name))])])
    new = _Entry(-1, section_of(name), name, straight=True)
    block = _block_for(body, entries, new)
    if block:
        index, line, body = _in_block(body, block, new, line)
    else:
        index, line, body = _new_block(body, entries, new, line)
    body.insert(index, line)
    return module.with_changes(body=body)


def _blocks(body: Sequence[Statement], entries: list[_Entry]) -> list[list[_Entry]]:
    """The import lines in runs that no blank line or other statement separates."""
    blocks: list[list[_Entry]] = []
    for entry in entries:
        line = body[entry.index]
        assert isinstance(line, cst.SimpleStatementLine)
        previous = blocks[-1][-1] if blocks else None
        if (
            previous is None
            or previous.index != entry.index - 1
            or _blank_prefix(line.leading_lines)
        ):
            blocks.append([entry])
        else:
            blocks[-1].append(entry)
    return blocks


def _block_for(body: Sequence[Statement], entries: list[_Entry], new: _Entry) -> list[_Entry]:
    """The block the new import joins: one that imports from the same package, else the first
    with imports of its section; empty when there is none."""
    blocks = _blocks(body, entries)
    root = new.module.partition(".")[0]
    for block in blocks:
        if any(entry.module.partition(".")[0] == root for entry in block):
            return block
    for block in blocks:
        if any(entry.section is new.section for entry in block):
            return block
    return []


def _in_block(
    body: list[Statement], block: list[_Entry], new: _Entry, line: ImportLine
) -> tuple[int, ImportLine, list[Statement]]:
    """Where `line` goes in `block`: before the first import of its section that sorts after
    it, else after the last one. Straight imports come before `from` imports, unless the block
    sorts them together (force-sort-within-sections: a straight import after a `from`)."""
    peers = [entry for entry in block if entry.section is new.section] or block
    mixed = any(
        later.straight and not earlier.straight for earlier, later in itertools.pairwise(peers)
    )
    for entry in peers:
        if (not mixed and new.straight and not entry.straight) or entry.key > new.key:
            if entry is block[0]:  # the block's first line: the new one takes its blank lines
                following = body[entry.index]
                assert isinstance(following, cst.SimpleStatementLine)
                line = line.with_changes(leading_lines=following.leading_lines)
                body[entry.index] = following.with_changes(leading_lines=[])
            return entry.index, line, body
    return peers[-1].index + 1, line, body


def _new_block(
    body: list[Statement], entries: list[_Entry], new: _Entry, line: ImportLine
) -> tuple[int, ImportLine, list[Statement]]:
    """A block of its own for `line`: before the first import of a later section, else after
    the last import line (or the docstring); one blank line above it, and below it what the
    next statement needs."""
    later = [entry for entry in entries if entry.section > new.section]
    earlier = [entry for entry in entries if entry.section <= new.section]
    if later:
        index = later[0].index
    elif earlier:
        index = earlier[-1].index + 1
    else:
        index = _first_after_docstring(body)
    if index < len(body):
        following = body[index]
        body[index] = _separated(following, 1 if later else blank_lines_before(following))
    return index, line.with_changes(leading_lines=[_blank()] if index else []), body


def insert_after_imports(module: cst.Module, statement: cst.SimpleStatementLine) -> cst.Module:
    """The module with `statement` after its docstring and its whole import section: import
    lines and blocks of imports, up to the last before the first function or class."""
    body = list(module.body)
    index = _first_after_docstring(body)
    for position in range(index, len(body)):
        if isinstance(body[position], cst.FunctionDef | cst.ClassDef):
            break
        if _has_imports(body[position]):
            index = position + 1
    above = blank_lines_after(body[index - 1]) if index else 0
    statement = statement.with_changes(leading_lines=[_blank()] * above)
    if index < len(body):
        body[index] = _separated(body[index], blank_lines_before(body[index]))
    body.insert(index, statement)
    return module.with_changes(body=body)


def remove_import(
    module: cst.Module, statement: cst.Import | cst.ImportFrom, bound: str
) -> cst.Module:
    """The module without the alias of the top-level import `statement` (equal to it, from an
    earlier version of the tree) that binds `bound`; without the line, if nothing is left."""
    body = list(module.body)
    for index, line in enumerate(body):
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for position, small in enumerate(line.body):
            if not isinstance(small, cst.Import | cst.ImportFrom):
                continue
            if not small.deep_equals(statement):
                continue
            kept = _without_alias(small, bound)
            smalls = [*line.body[:position], *([kept] if kept else []), *line.body[position + 1 :]]
            if smalls:
                body[index] = line.with_changes(body=_last_without_semicolon(smalls))
                return module.with_changes(body=body)
            return _without_line(module, body, index)
    return module


def _without_alias(
    statement: cst.Import | cst.ImportFrom, bound: str
) -> cst.Import | cst.ImportFrom | None:
    assert not isinstance(statement.names, cst.ImportStar)
    names = list(statement.names)
    for position, alias in enumerate(names):
        if (alias.evaluated_alias or alias.evaluated_name) == bound:
            del names[position]
            if names and position == len(names):  # the last: the new last takes its comma
                names[-1] = names[-1].with_changes(comma=alias.comma)
            break
    return statement.with_changes(names=names) if names else None


def _last_without_semicolon(smalls: list[cst.BaseSmallStatement]) -> list[cst.BaseSmallStatement]:
    return [*smalls[:-1], smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]


def _without_line(module: cst.Module, body: list[Statement], index: int) -> cst.Module:
    """Without the line at `index`; the blank lines and comments above it stay above the next
    statement (blank lines counted once where both have some)."""
    removed = body.pop(index)
    assert isinstance(removed, cst.SimpleStatementLine)
    above = list(removed.leading_lines)
    if index == len(body):
        return module.with_changes(body=body, footer=[*above, *module.footer])
    following = body[index]
    lines = list(following.leading_lines)
    if _blank_prefix(above) == len(above):
        blanks = max(len(above), _blank_prefix(lines))
        lines = [*[_blank()] * blanks, *lines[_blank_prefix(lines) :]]
    else:
        lines = [*above, *lines]
    body[index] = following.with_changes(leading_lines=lines)
    return module.with_changes(body=body)


@dataclass
class ImportEdits:
    """The import changes a rule's fixes call for, made once the fixes are applied."""

    needed: list[str] = field(default_factory=list)
    """Modules to `import`."""
    replaced: list[tuple[cst.CSTNode, Sequence[cst.CSTNode]]] = field(default_factory=list)
    """Nodes of the original tree, each with what took its place: imports only they used go."""

    def __bool__(self) -> bool:
        return bool(self.needed or self.replaced)

    def apply(
        self,
        module: cst.Module,
        original: cst.Module,
        scopes: Callable[[], Mapping[cst.CSTNode, Scope | None]],
    ) -> cst.Module:
        """`module` (the fixed `original`) with the edits; `scopes` gives the original's."""
        if self.replaced:
            for statement, bound in self._unused(original, scopes):
                module = remove_import(module, statement, bound)
        for name in dict.fromkeys(self.needed):
            module = add_import(module, name)
        return module

    def _unused(
        self, original: cst.Module, scopes: Callable[[], Mapping[cst.CSTNode, Scope | None]]
    ) -> Iterator[tuple[cst.Import | cst.ImportFrom, str]]:
        """The top-level imports whose every use was in a replaced node, and that nothing
        which replaced them spells, with the name each binds. The scopes (of the whole
        module: the cost of a rule's visit) are asked only about a name such an import binds."""
        gone = {id(node) for old, _ in self.replaced for node in walk(old)}
        spelled = {
            node.value
            for _, new in self.replaced
            for root in new
            for node in walk(root)
            if isinstance(node, cst.Name)
        }
        candidates = {
            node.value
            for old, _ in self.replaced
            for node in walk(old)
            if isinstance(node, cst.Name) and node.value not in spelled
        }
        # (Only a name a top-level import binds may be that import's to remove.)
        names = (candidates - _exported(original)) & _top_level_import_names(original)
        if not names:
            return
        alone = _spelled_only_by_their_import(original, names, gone)
        scope: Scope | None = None
        top_level = _top_level_imports(original)
        for name in sorted(names):
            if name in alone:
                yield alone[name], name
                continue
            if scope is None:
                scope = scopes().get(original)
                assert isinstance(scope, GlobalScope)
            assignments = list(scope.assignments[name])
            if len(assignments) != 1 or not isinstance(assignments[0], ImportAssignment):
                continue
            assignment = assignments[0]
            node = assignment.node
            if not isinstance(node, cst.Import | cst.ImportFrom) or id(node) not in top_level:
                continue
            if all(id(access.node) in gone for access in assignment.references):
                yield node, name


def _spelled_only_by_their_import(
    module: cst.Module, names: set[str], gone: set[int]
) -> dict[str, cst.Import | cst.ImportFrom]:
    """The names of `names` that the module spells, outside the nodes of `gone`, only where
    one top-level import binds them (`import x`, `from m import x`, `... as x`), and in no
    string (a string annotation reads names): each with that import. The scopes would say
    the same, at the cost of a scope analysis of the whole module: the import is the name's
    one binding (any other spells it), and every read of it is in `gone`."""
    binding: dict[int, tuple[str, cst.Import | cst.ImportFrom]] = {}
    for statement in _top_level_import_nodes(module):
        if isinstance(statement.names, cst.ImportStar):
            continue  # (binds no name for the scopes either)
        for alias in statement.names:
            bound = alias.evaluated_alias or alias.evaluated_name
            if bound in names and "." not in bound:
                binding.update((id(node), (bound, statement)) for node in walk(alias))
    found: dict[str, cst.Import | cst.ImportFrom] = {}
    spelled_elsewhere: set[str] = set()
    for node in walk(module):
        if id(node) in gone:
            continue
        kind = type(node)
        if kind is cst.Name and cast(cst.Name, node).value in names:
            value = cast(cst.Name, node).value
            bound_by = binding.get(id(node))
            if (
                bound_by is None
                or bound_by[0] != value
                or found.get(value, bound_by[1]) is not bound_by[1]
            ):
                spelled_elsewhere.add(value)
            else:
                found[value] = bound_by[1]
        elif kind is cst.SimpleString or kind is cst.FormattedStringText:
            text = cast(cst.SimpleString | cst.FormattedStringText, node).value
            spelled_elsewhere.update(name for name in names if name in text)
    return {name: statement for name, statement in found.items() if name not in spelled_elsewhere}


def _top_level_imports(module: cst.Module) -> set[int]:
    return {id(node) for node in _top_level_import_nodes(module)}


def _top_level_import_names(module: cst.Module) -> set[str]:
    """The names the top-level imports may bind (`a` and `a.b` for `import a.b`)."""
    return {
        name
        for node in _top_level_import_nodes(module)
        if not isinstance(node.names, cst.ImportStar)
        for alias in node.names
        for name in (
            alias.evaluated_name,
            alias.evaluated_name.partition(".")[0],
            alias.evaluated_alias or "",
        )
    }


def _top_level_import_nodes(module: cst.Module) -> Iterator[cst.Import | cst.ImportFrom]:
    for line in module.body:
        if isinstance(line, cst.SimpleStatementLine):
            for small in line.body:
                if isinstance(small, cst.Import | cst.ImportFrom):
                    yield small


def _exported(module: cst.Module) -> set[str]:
    """The names a top-level `__all__` lists (scope analysis does not count them as uses)."""
    names: set[str] = set()
    for line in module.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue
        for small in line.body:
            targets: list[cst.BaseExpression] = []
            if isinstance(small, cst.Assign):
                targets = [target.target for target in small.targets]
            elif isinstance(small, cst.AnnAssign | cst.AugAssign):
                targets = [small.target]
            if any(isinstance(t, cst.Name) and t.value == "__all__" for t in targets):
                names |= {
                    node.evaluated_value
                    for node in walk(small)
                    if isinstance(node, cst.SimpleString) and isinstance(node.evaluated_value, str)
                }
    return names
