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
from dataclasses import dataclass

import libcst as cst


@dataclass(frozen=True)
class ParsedFix:
    """The code of a fixed module, and LibCST's tree of that code."""

    code: bytes
    module: cst.Module


def parsed_fix(fixed: cst.Module, before: cst.Module) -> ParsedFix:
    """`fixed`'s code and its tree as LibCST parses it; `fixed` is what a fixing visit made
    of `before`, a tree LibCST parsed. Raises `cst.ParserSyntaxError` where the code does
    not parse."""
    code = fixed.bytes
    spliced = _spliced(fixed, before)
    return ParsedFix(code, spliced if spliced is not None else cst.parse_module(code))


def _spliced(fixed: cst.Module, before: cst.Module) -> cst.Module | None:
    """`before` with the statements `fixed` changed parsed again; None where only a parse
    of the whole module will do."""
    if not before.has_trailing_newline or not _same_but_body(fixed, before):
        return None
    body = _statements(fixed.body, before.body, before)
    return None if body is None else before.with_changes(body=body)


def _statements(
    fixed: Sequence[cst.BaseStatement], before: Sequence[cst.BaseStatement], module: cst.Module
) -> list[cst.BaseStatement] | None:
    """`before`'s statements with those `fixed` changed parsed again (None where one does
    not parse, or the fix added or removed one)."""
    if len(fixed) != len(before):
        return None
    statements = []
    for statement, original in zip(fixed, before, strict=True):
        if statement is not original:
            changed: cst.BaseStatement | None = _class_spliced(statement, original, module)
            if changed is None:
                changed = _reparsed(statement, original, module)
            if changed is None:
                return None
            statement = changed
        statements.append(statement)
    return statements


def _class_spliced(
    statement: cst.BaseStatement, original: cst.BaseStatement, module: cst.Module
) -> cst.ClassDef | None:
    """The class `original` with the methods (and other statements) the fix changed in it
    parsed again, where only they changed."""
    if not isinstance(statement, cst.ClassDef) or not isinstance(original, cst.ClassDef):
        return None
    block, original_block = statement.body, original.body
    if not isinstance(block, cst.IndentedBlock) or not isinstance(
        original_block, cst.IndentedBlock
    ):
        return None
    if not _same_but_body(statement, original) or not _same_but_body(block, original_block):
        return None
    members = _statements(block.body, original_block.body, module)
    if members is None:
        return None
    return original.with_changes(body=original_block.with_changes(body=members))


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
