"""The tree of a fixed module, parsed again where a fix changed it.

The code a fix produces must parse, and the rules after the fix read LibCST's tree of that
code, not the tree the fix built (which may differ from it in the whitespace nodes it holds).
Parsing the whole module again costs as much as the first parse, while a fix changes one
function or two. A fixing visit that enters only the statements holding its fixes
(`Rule.run` with fix sites) leaves every other statement as the very node the previous parse
made; so only the statements that are not are parsed again, each on its own, and put in
place of those the fix built: at the top level, and within a class, method by method.

A statement stands alone as it stands in the module: statements own their lines and their
indented blocks, and each method's indentation is kept relative to the class around it. A
statement is parsed after an indented `if 1: pass`, so that LibCST infers the module's own
indentation and line break from it; the blank lines and comments above the statement are
the fix's, unchanged from the previous parse (else the whole module is parsed). Wherever
that does not hold (a fix that adds or removes a top-level statement or an import, changes a
class's own lines, or a module without a final line break), the whole module is parsed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst._nodes.internal import CodegenState


@dataclass(frozen=True)
class ParsedFix:
    """The code of a fixed module, and LibCST's tree of that code."""

    code: bytes
    module: cst.Module


def parsed_fix(fixed: cst.Module, before: cst.Module, code: bytes) -> ParsedFix:
    """`fixed`'s code and its tree as LibCST parses it; `fixed` is what a fixing visit made
    of `before`, a tree LibCST parsed from `code`. Raises `cst.ParserSyntaxError` where the
    fixed code does not parse."""
    splice = _Splice(before)
    spliced = splice.module(fixed)
    if spliced is None:
        fixed_code = fixed.bytes
        return ParsedFix(fixed_code, cst.parse_module(fixed_code))
    recoded = splice.recoded(code)
    return ParsedFix(recoded if recoded is not None else fixed.bytes, spliced)


@dataclass
class _Splice:
    """The statements a fix changed in `before`, found level by level (the module's, then a
    class's), each with the indentation of the blocks it stands in."""

    before: cst.Module
    changes: list[tuple[cst.BaseStatement, cst.BaseStatement, tuple[str, ...]]] = field(
        default_factory=list
    )
    """Each changed statement of `before`, what the fix made of it, and its blocks' indents."""

    def module(self, fixed: cst.Module) -> cst.Module | None:
        """`before` with the statements `fixed` changed parsed again; None where only a
        parse of the whole module will do."""
        before = self.before
        if not before.has_trailing_newline or not _same_but_body(fixed, before):
            return None
        body = self._statements(fixed.body, before.body, ())
        return None if body is None else before.with_changes(body=body)

    def _statements(
        self,
        fixed: Sequence[cst.BaseStatement],
        before: Sequence[cst.BaseStatement],
        indents: tuple[str, ...],
    ) -> list[cst.BaseStatement] | None:
        """`before`'s statements with those `fixed` changed parsed again (None where one
        does not parse, or the fix added or removed one)."""
        if len(fixed) != len(before):
            return None
        statements = []
        for statement, original in zip(fixed, before, strict=True):
            if statement is not original:
                changed: cst.BaseStatement | None = self._class(statement, original, indents)
                if changed is None:
                    changed = _reparsed(statement, original, self.before)
                    self.changes.append((original, statement, indents))
                if changed is None:
                    return None
                statement = changed
            statements.append(statement)
        return statements

    def _class(
        self, statement: cst.BaseStatement, original: cst.BaseStatement, indents: tuple[str, ...]
    ) -> cst.ClassDef | None:
        """The class `original` with the methods (and other statements) the fix changed in
        it parsed again, where only they changed."""
        if not isinstance(statement, cst.ClassDef) or not isinstance(original, cst.ClassDef):
            return None
        block, original_block = statement.body, original.body
        if not isinstance(block, cst.IndentedBlock) or not isinstance(
            original_block, cst.IndentedBlock
        ):
            return None
        if not _same_but_body(statement, original) or not _same_but_body(block, original_block):
            return None
        found = len(self.changes)
        indent = self.before.default_indent if block.indent is None else block.indent
        members = self._statements(block.body, original_block.body, (*indents, indent))
        if members is None:
            del self.changes[found:]
            return None
        return original.with_changes(body=original_block.with_changes(body=members))

    def recoded(self, code: bytes) -> bytes | None:
        """The fixed code: `code` (that of `before`) with the text of each changed statement
        replaced by that of the fix's; None where a statement's text is not found exactly
        once at a line's start (the fixed module's own code is then generated)."""
        parts, done = [], 0
        try:
            for original, statement, indents in self.changes:
                old = self._text(original, indents)
                start = code.find(old, done)
                if start < 0 or code.find(old, start + 1) >= 0 or code.find(old) < start:
                    return None
                if start and code[start - 1 : start] not in (b"\n", b"\r"):
                    return None
                parts += [code[done:start], self._text(statement, indents)]
                done = start + len(old)
        except UnicodeEncodeError:
            return None
        parts.append(code[done:])
        return b"".join(parts)

    def _text(self, statement: cst.BaseStatement, indents: tuple[str, ...]) -> bytes:
        """`statement`'s code where it stands, in blocks indented by `indents`."""
        before = self.before
        state = CodegenState(
            default_indent=before.default_indent,
            default_newline=before.default_newline,
            indent_tokens=list(indents),
        )
        statement._codegen(state)
        return "".join(state.tokens).encode(before.encoding)


def _reparsed(
    statement: cst.BaseStatement, original: cst.BaseStatement, module: cst.Module
) -> cst.BaseStatement | None:
    """LibCST's tree of `statement`'s code, parsed on its own; None where it does not parse
    or the lines above it are not those of `original`."""
    assert isinstance(statement, _STATEMENT) and isinstance(original, _STATEMENT)
    if not _same(statement.leading_lines, original.leading_lines):
        return None
    newline, indent = module.default_newline, module.default_indent
    alone = module.with_changes(
        header=(), body=[statement.with_changes(leading_lines=())], footer=()
    )
    try:
        parsed = cst.parse_module(f"if 1:{newline}{indent}pass{newline}{alone.code}")
    except (cst.ParserSyntaxError, RecursionError):
        return None
    if (
        parsed.header
        or parsed.footer
        or len(parsed.body) != 2
        or (parsed.default_indent, parsed.default_newline) != (indent, newline)
    ):
        return None
    reparsed = parsed.body[1]
    assert isinstance(reparsed, _STATEMENT)
    return reparsed.with_changes(leading_lines=statement.leading_lines)


_STATEMENT = (cst.SimpleStatementLine, cst.BaseCompoundStatement)
"""What a module's or a block's body holds (each with the lines above it)."""


def _same_but_body(node: cst.CSTNode, original: cst.CSTNode) -> bool:
    """Whether `node` equals `original` in everything but its body."""
    return all(
        _same(getattr(node, field.name), getattr(original, field.name))
        for field in dataclasses.fields(original)
        if field.name != "body"
    )


def _same(value: object, original: object) -> bool:
    if value is original:
        return True
    if isinstance(value, cst.CSTNode) and isinstance(original, cst.CSTNode):
        return value.deep_equals(original)
    if isinstance(value, Sequence) and isinstance(original, Sequence):
        if isinstance(value, str) or isinstance(original, str):
            return value == original
        return len(value) == len(original) and all(map(_same, value, original))
    return value == original
