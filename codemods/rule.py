"""What every rule is: a LibCST codemod that reports findings and applies the fixes it may."""

from __future__ import annotations

import argparse
import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import ClassVar, TypeVar, cast

import libcst as cst
from libcst import CSTNodeT
from libcst._metadata_dependent import LazyValue
from libcst.codemod import Codemod, CodemodContext, VisitorBasedCodemodCommand
from libcst.metadata import (
    BaseMetadataProvider,
    MetadataWrapper,
    Scope,
    ScopeProvider,
)

from codemods import target_version
from codemods.analysis.names import (
    ExceptionNames,
    Spelling,
    cancellation_spelling,
    cancellation_spelling_names,
    module_names,
    module_spelling,
    module_spelling_names,
)
from codemods.analysis.scope import children, spelled_names, walk
from codemods.analysis.statement_scopes import statement_scopes
from codemods.imports import ImportEdits
from codemods.model import Finding, FixSafety, RuleOptions, Severity
from codemods.positions import StatementPositions
from codemods.prefilter.statements import CoroutineCode, Function
from codemods.suppression import suppresses

T = TypeVar("T")


_NOT_DESCENDED = (
    cst.BaseExpression,
    cst.BaseParenthesizableWhitespace,
    cst.EmptyLine,
    cst.TrailingWhitespace,
    cst.Newline,
    cst.Comment,
    cst.Parameters,
    cst.Decorator,
    cst.Annotation,
    cst.ImportAlias,
)


FixSite = tuple[cst.CSTNode, ...]
"""Where a rule reports a finding whose fix the run allows: the statements from the module
down to the outermost function that holds it (or to the top-level statement, outside
functions). A fixing visit need rebuild no statement off these paths."""


@functools.cache
def _descends_into(node_type: type[cst.CSTNode]) -> bool:
    # Once per type: node classes are ABCs, and `isinstance` against ABCs is slow.
    return not issubclass(node_type, _NOT_DESCENDED)


_Hook = Callable[..., object]


@functools.cache
def _hooks(rule: type[Rule], node_type: type[cst.CSTNode]) -> tuple[_Hook | None, _Hook | None]:
    """The rule's `visit_` and `leave_` methods for nodes of `node_type`; None for LibCST's
    no-op stubs (marked so by LibCST, whose batched visitor skips them the same way)."""
    found = (
        getattr(rule, f"visit_{node_type.__name__}", None),
        getattr(rule, f"leave_{node_type.__name__}", None),
    )
    return cast(
        "tuple[_Hook | None, _Hook | None]",
        tuple(None if getattr(hook, "_is_no_op", False) else hook for hook in found),
    )


class Rule(VisitorBasedCodemodCommand):
    """Base of every rule: subclasses detect in `leave_*` methods and call `report()`.

    A rule is a complete LibCST codemod, so it also runs under `python -m libcst.tool codemod`.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    message: ClassVar[str]
    fix_kinds: ClassVar[tuple[FixSafety, ...]]
    """The fixes the rule can offer; empty for a report-only rule."""
    severity: ClassVar[Severity] = Severity.WARNING
    required_bytes: ClassVar[tuple[bytes, ...]]
    """Byte strings that every file with a finding contains: the prefilter's first test (a
    rule's `may_apply` may narrow it with the tests of `prefilter.source_text`)."""

    # Metadata is resolved when a rule first asks for it (most files never need names or
    # positions), and cached by the shared wrapper for the rules after it; parents come from
    # the visit's own stack. Each full-tree metadata pass costs as much as the rule itself.
    METADATA_DEPENDENCIES = ()

    def __init__(
        self,
        context: CodemodContext,
        options: RuleOptions | None = None,
        unsafe_fixes: bool = False,
        target: str | None = None,
    ) -> None:
        # Not `super().__init__`: LibCST's matcher-decorator set-up inspects every method of
        # the class, for each instance (one per rule and file), and rules use no matcher
        # decorators (the traversal hooks below bypass them).
        Codemod.__init__(self, context)
        cst.CSTTransformer.__init__(self)
        if options is None:
            options = RuleOptions(
                unsafe_fixes=unsafe_fixes,
                target_version=target_version.parse(target) if target else target_version.DEFAULT,
            )
        self.options = options
        self.findings: list[Finding] = []
        self._module: cst.Module | None = None
        self._stack: list[cst.CSTNode] = []
        self._positions: StatementPositions | None = None
        self.frozen_lines: frozenset[bytes] = frozenset()
        """Lines (stripped) where no fix may be applied: those of findings that the first
        pass reported without a fix the run may apply. A later pass, after other fixes, must
        not rewrite what `check` called report-only."""
        self.frozen_numbers: frozenset[int] = frozenset()
        """Line numbers where no fix may be applied, in the first pass (whose positions are
        those `check` reported): findings held with the rest of their function."""
        self._lines: list[bytes] | None = None
        self._reported: set[tuple[int, int]] = set()
        self._imports = ImportEdits()
        self.fix_sites: list[FixSite] = []
        """Where the rule reported a finding whose fix the run allows (applied or not)."""
        self._paths: set[int] | None = None
        """The ids of the statements a restricted fixing visit enters (see `run`)."""
        self._sites: set[int] = set()
        self._in_site: cst.CSTNode | None = None
        self._skipped: cst.CSTNode | None = None

    @classmethod
    def documentation(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def may_apply(cls, source: bytes, options: RuleOptions) -> bool:
        """The byte prefilter: False must mean "certainly no finding"."""
        return all(needle in source for needle in cls.required_bytes)

    @classmethod
    def is_candidate(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        """Cheap second prefilter on the module's coroutine code, from the stdlib AST; False
        must mean "certainly no finding"."""
        return True

    @classmethod
    def is_context(cls, code: CoroutineCode, options: RuleOptions) -> bool:
        """Whether the rule, judging a candidate elsewhere in the module, reads this function
        (with coroutine code `code`): it is then analysed along with the candidates."""
        return False

    reads_context_in_class: ClassVar[bool] = False
    """Whether the rule reads the methods `is_context` accepts only in a candidate's class or
    its base classes in the module (`ModuleCode.classes_read_from`): the methods of other
    classes need not be analysed. Functions at the module's top level are read wherever the
    candidate is (a coroutine function whose awaits cannot suspend, a task's canceller)."""

    reads_context_by_name: ClassVar[bool] = False
    """Whether the rule reads a function `is_context` accepts only where the code it reads
    spells the function's name: an await or a call of it (`await helper()`,
    `self._cleanup()`) in a candidate, or in a function so read
    (`codemods.prefilter.statements.reached_by_name`). The functions no such name leads to
    need not be analysed."""

    @classmethod
    def reads_every_function(cls, candidate: Function, top_level: bool) -> bool:
        """Whether the rule, judging the candidate function `candidate` (defined at the
        module's top level, else in a class), may read any function of the module (every use
        of the candidate's name): all of them are then analysed along with the candidates."""
        return False

    @staticmethod
    def add_args(arg_parser: argparse.ArgumentParser) -> None:
        arg_parser.add_argument(
            "--unsafe-fixes", action="store_true", help="also apply fixes marked unsafe"
        )
        arg_parser.add_argument("--target", help="target Python version, e.g. py311")

    def run(
        self,
        wrapper: MetadataWrapper,
        positions: StatementPositions | None = None,
        sites: Sequence[FixSite] | None = None,
    ) -> cst.Module:
        """Visit a module through a shared wrapper, reusing the metadata and `positions`
        (of the wrapper's module) that other rules computed.

        With `sites` (the `fix_sites` of this rule's look at the same module), the visit
        enters only the statements on their paths: the rule's fixes lie within them, and
        LibCST's transformer rebuilds every statement it visits, which costs as much as
        the rule's own work. Every other statement is kept as it is (the same node)."""
        if not self.options.apply_fixes:
            self.look(wrapper, positions)
            return wrapper.module
        self.context = dataclasses.replace(self.context, wrapper=wrapper)
        self._positions = positions
        if sites and all(len(site) > 1 for site in sites):
            self._paths = {id(node) for site in sites for node in site}
            self._sites = {id(site[-1]) for site in sites}
        module = wrapper.visit(self)
        self._paths = None
        if self._imports:
            module = self._imports.apply(
                module, wrapper.module, lambda: self._metadata(ScopeProvider)
            )
        return module

    def look(self, wrapper: MetadataWrapper, positions: StatementPositions | None = None) -> None:
        """Find, as `run` does, without changing the module. With fixes on, the findings are
        those `run` reports up to its first fix (every later report depends on none applied):
        `changed` says whether `run` would change the module."""
        self.context = dataclasses.replace(self.context, wrapper=wrapper)
        self._positions = positions
        with self.resolve(wrapper):
            self._look(wrapper.module)

    def _look(self, node: cst.CSTNode) -> None:
        """Visit `node` and its descendants without rebuilding them: a rule that applies no
        fix changes nothing, and LibCST's traversal rebuilds every node it descends into,
        which costs more than the rule's own work. As `on_visit` and `on_leave` do, with
        the rule's hooks for the node's type looked up once per type (LibCST's look them up
        by name for every node, and calls its no-op stubs)."""
        kind = type(node)
        visit, leave = _hooks(type(self), kind)
        descends = _descends_into(kind)
        if descends:
            self._stack.append(node)
            if visit is None or visit(self, node) is not False:
                for child in children(node):
                    self._look(child)
        if leave is not None:
            leave(self, node, node)
        if descends and self._stack and self._stack[-1] is node:
            self._stack.pop()

    # The traversal hooks bypass LibCST's matcher-decorator machinery, which rules do not use
    # and which costs more per node than the rules' own work. Rules act on statements, so they
    # do not descend into expressions, whitespace, parameters or decorators: most of a
    # module's nodes, and of the visit's cost.
    def on_visit(self, node: cst.CSTNode) -> bool:
        if not _descends_into(type(node)):
            return False
        if self._paths is not None and self._in_site is None and not self._enters(node):
            self._skipped = node
            return False
        self._stack.append(node)
        return cst.CSTTransformer.on_visit(self, node)

    def on_leave(  # type: ignore[override]
        self, original_node: CSTNodeT, updated_node: CSTNodeT
    ) -> CSTNodeT | cst.RemovalSentinel | cst.FlattenSentinel[CSTNodeT]:
        if original_node is self._skipped:  # (off the fix sites' paths: kept, unvisited)
            self._skipped = None
            return updated_node
        result = cst.CSTTransformer.on_leave(self, original_node, updated_node)
        if self._stack and self._stack[-1] is original_node:
            self._stack.pop()
        if original_node is self._in_site:
            self._in_site = None
        return result

    def _enters(self, node: cst.CSTNode) -> bool:
        """Whether a restricted fixing visit enters `node`: on a fix site's path; within
        a site, everything is visited."""
        assert self._paths is not None
        if id(node) not in self._paths:
            return False
        if id(node) in self._sites:
            self._in_site = node
        return True

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    def visit_Module(self, node: cst.Module) -> None:
        self._module = node

    @property
    def module(self) -> cst.Module:
        assert self._module is not None, "rules only visit whole modules"
        return self._module

    @property
    def changed(self) -> bool:
        return any(finding.fixed for finding in self.findings)

    def report(
        self,
        node: cst.CSTNode,
        fix: FixSafety | None,
        *,
        through: cst.CSTNode | None = None,
        keyword: str | None = None,
        comments: Iterable[cst.Comment] = (),
        message: str | None = None,
        swallows: bool = False,
    ) -> bool:
        """Record a finding at `node`; True when the caller should apply its fix.

        The finding spans from `node` to the end of `through`, or, without it, the `keyword`
        that starts `node` (so that a finding on a whole handler points at its header). A
        `# noqa` among `comments` (those on the flagged lines) suppresses it. A `message`
        replaces the rule's own where one shape of the rule needs to say more; `swallows`
        marks a shape that swallows the caller's cancellation (see `Finding.swallows`).
        """
        if any(suppresses(comment.value, self.code) for comment in comments):
            return False
        if self._positions is None:
            assert self.context.wrapper is not None, "rules run through a MetadataWrapper"
            self._positions = StatementPositions(self.context.wrapper)
        positions = self._positions
        start = positions.of(node, self._stack).start
        if through is not None:
            end = positions.of(through, self._stack).end
        else:
            end = dataclasses.replace(start, column=start.column + len(keyword or ""))
        if not self._first_at(start.line, start.column):
            return False
        if self.options.allows(fix):
            self.fix_sites.append(self._site())
        apply = self.options.apply_fixes and self.options.allows(fix) and self._may_fix(start.line)
        self.findings.append(
            Finding(
                code=self.code,
                name=self.name,
                message=message or self.message,
                line=start.line,
                column=start.column + 1,
                end_line=end.line,
                end_column=end.column + 1,
                fix=fix,
                fixed=apply,
                swallows=swallows,
            )
        )
        return apply

    def _site(self) -> FixSite:
        """The fix site of the node being visited: the statements down to the outermost
        function around it, else to the top-level statement."""
        stack = self._stack
        outermost = next(
            (index for index, node in enumerate(stack) if isinstance(node, cst.FunctionDef)),
            min(1, len(stack) - 1),
        )
        return tuple(stack[: outermost + 1])

    def _first_at(self, line: int, column: int) -> bool:
        """Whether no finding was reported at this place yet: one finding per place and
        code, however the rule got there twice (nested constructs)."""
        key = (line, column)
        new = key not in self._reported
        self._reported.add(key)
        return new

    def _may_fix(self, line: int) -> bool:
        """Whether a fix may be applied on `line` (not one of `frozen_lines`)."""
        if line in self.frozen_numbers:
            return False
        if not self.frozen_lines:
            return True
        if self._lines is None:
            self._lines = self.module.bytes.splitlines()
        text = self._lines[line - 1].strip() if 0 < line <= len(self._lines) else b""
        return text not in self.frozen_lines

    def _metadata(self, provider: type[BaseMetadataProvider[T]]) -> Mapping[cst.CSTNode, T]:
        assert self.context.wrapper is not None, "rules run through a MetadataWrapper"
        return self.context.wrapper.resolve(provider)

    def _metadata_of(
        self, provider: type[BaseMetadataProvider[T]], node: cst.CSTNode, default: T
    ) -> T:
        value = self._metadata(provider).get(node, default)
        # Some providers store thunks, which `get_metadata` would evaluate.
        return cast(T, value()) if isinstance(value, LazyValue) else value

    def parents(self, node: cst.CSTNode) -> Sequence[cst.CSTNode]:
        """The ancestors of `node`, nearest first; `node` must be the one being visited."""
        assert self._stack and self._stack[-1] is node, "parents of the node being visited only"
        return self._stack[-2::-1]

    @property
    def names(self) -> ExceptionNames:
        return ExceptionNames(module_names(self.module), self.options.target_version)

    def scope_of(self, node: cst.CSTNode) -> Scope | None:
        """The scope of `node`, computed over the top-level statement being visited where
        `node` lies in it (see `codemods.analysis.statement_scopes`), else over the module."""
        scopes = statement_scopes(self.module).around(self._stack)
        if scopes is not None and node in scopes:
            return scopes[node]
        return self._metadata_of(ScopeProvider, node, None)

    def cancellation_spelling_at(self, node: cst.CSTNode) -> Spelling | None:
        scope = self._scope_knowing(node, cancellation_spelling_names(self.module))
        return None if scope is None else cancellation_spelling(self.module, scope)

    def module_spelling_at(self, node: cst.CSTNode, name: str) -> Spelling | None:
        scope = self._scope_knowing(node, module_spelling_names(self.module, name))
        return None if scope is None else module_spelling(self.module, scope, name)

    def _scope_knowing(self, node: cst.CSTNode, names: frozenset[str]) -> Scope | None:
        """A scope that knows of `names` what the scope of `node` knows: the module's where
        `node` lies in the node being visited and the statement around it binds none of
        `names` (one analysis per module and names instead of one per statement), else
        `node`'s own."""
        scope = None
        if any(child is node for child in walk(self._stack[-1])):
            scope = statement_scopes(self.module).module_scope(self._stack, names)
        return scope if scope is not None else self.scope_of(node)

    def drop_unused_imports(
        self, replaced: cst.CSTNode, replacement: Sequence[cst.CSTNode]
    ) -> None:
        """Once the fix puts `replacement` in place of `replaced` (a node of the original
        tree), remove the module's imports that only `replaced` used."""
        self._imports.replaced.append((replaced, replacement))

    def require_import(self, spelling: Spelling) -> None:
        if spelling.needs_import:
            self._imports.needed.append(spelling.needs_import)

    def fresh_name(self, node: cst.CSTNode, base: str, within: cst.CSTNode) -> str:
        """`base`, or `base_1`, `base_2`...: the first that names nothing visible from
        `node`'s scope (a local, an enclosing function's name, a global, a builtin) and is
        spelled nowhere in `within` (the function that will bind it)."""
        taken = spelled_names(within)
        name, suffix = base, 0
        while name in taken or self._names_something(node, name):
            suffix += 1
            name = f"{base}_{suffix}"
        return name

    def _names_something(self, node: cst.CSTNode, name: str) -> bool:
        scope = self._scope_knowing(node, frozenset({name}))
        return scope is not None and name in scope
